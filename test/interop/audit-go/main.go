// audit-go checks a `custodian audit export` directory with Go's reference code for signed notes and
// transparency-log trees (golang.org/x/mod/sumdb/note and sumdb/tlog), none of it written by Key Custodian:
//
//	go run . DIR
//
// It verifies checkpoint.txt with verifier-key.txt, parses the checkpoint (origin, size, root), recomputes the
// tree hash from log.jsonl (each line a leaf, RFC 6962), checks the inclusion proof in inclusion.json (for
// entry.jsonl or the log's line), and the consistency proof in consistency.json. Exit 0 and "OK ..." when all
// holds; exit 1 and the reason otherwise.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type inclusion struct {
	Index         int64    `json:"index"`
	TreeSize      int64    `json:"tree_size"`
	RootHash      string   `json:"root_hash"`
	InclusionPath []string `json:"inclusion_path"`
}

type consistency struct {
	OldSize         int64    `json:"old_size"`
	OldRoot         string   `json:"old_root"`
	TreeSize        int64    `json:"tree_size"`
	RootHash        string   `json:"root_hash"`
	ConsistencyPath []string `json:"consistency_path"`
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func read(dir, name string) []byte {
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		fail("%v", err)
	}
	return data
}

func hashOf(text string) tlog.Hash {
	raw, err := base64.StdEncoding.DecodeString(text)
	if err != nil || len(raw) != tlog.HashSize {
		fail("bad hash %q", text)
	}
	var h tlog.Hash
	copy(h[:], raw)
	return h
}

func hashes(texts []string) []tlog.Hash {
	out := make([]tlog.Hash, len(texts))
	for i, t := range texts {
		out[i] = hashOf(t)
	}
	return out
}

// leaves splits a JSON Lines file into its lines (without the newlines); every line must end in one.
func leaves(data []byte) [][]byte {
	if len(data) == 0 || data[len(data)-1] != '\n' {
		fail("a JSON Lines file must end with a newline")
	}
	return bytes.Split(data[:len(data)-1], []byte("\n"))
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: audit-go EXPORT_DIR")
	}
	dir := os.Args[1]
	verifier, err := note.NewVerifier(strings.TrimSpace(string(read(dir, "verifier-key.txt"))))
	if err != nil {
		fail("verifier key: %v", err)
	}
	n, err := note.Open(read(dir, "checkpoint.txt"), note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint signature: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != verifier.Name() {
		fail("checkpoint origin %q is not the key's name %q", lines[0], verifier.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size: %v", err)
	}
	root := hashOf(lines[2])

	var inc inclusion
	if err := json.Unmarshal(read(dir, "inclusion.json"), &inc); err != nil {
		fail("inclusion.json: %v", err)
	}
	if inc.TreeSize != size || hashOf(inc.RootHash) != root {
		fail("inclusion proof is not for the checkpoint's tree")
	}
	var record []byte
	if _, err := os.Stat(filepath.Join(dir, "log.jsonl")); err == nil {
		records := leaves(read(dir, "log.jsonl"))
		if int64(len(records)) != size {
			fail("log.jsonl has %d entries, the checkpoint %d", len(records), size)
		}
		// Recompute the tree hash from the entries with tlog's own storage and hashing.
		stored := make(map[int64]tlog.Hash)
		for i, r := range records {
			hs, err := tlog.StoredHashes(int64(i), r, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
				out := make([]tlog.Hash, len(idx))
				for j, k := range idx {
					out[j] = stored[k]
				}
				return out, nil
			}))
			if err != nil {
				fail("stored hashes: %v", err)
			}
			base := tlog.StoredHashIndex(0, int64(i))
			for j, h := range hs {
				stored[base+int64(j)] = h
			}
		}
		reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
			out := make([]tlog.Hash, len(idx))
			for j, k := range idx {
				out[j] = stored[k]
			}
			return out, nil
		})
		th, err := tlog.TreeHash(size, reader)
		if err != nil || th != root {
			fail("the entries do not hash to the checkpoint's root")
		}
		record = records[inc.Index]

		var con consistency
		if err := json.Unmarshal(read(dir, "consistency.json"), &con); err != nil {
			fail("consistency.json: %v", err)
		}
		if con.TreeSize != size || hashOf(con.RootHash) != root {
			fail("consistency proof is not for the checkpoint's tree")
		}
		oldRoot, err := tlog.TreeHash(con.OldSize, reader)
		if err != nil || oldRoot != hashOf(con.OldRoot) {
			fail("old_root is not the tree hash of the first %d entries", con.OldSize)
		}
		if err := tlog.CheckTree(tlog.TreeProof(hashes(con.ConsistencyPath)), size, root, con.OldSize, oldRoot); err != nil {
			fail("consistency proof %d -> %d: %v", con.OldSize, size, err)
		}
	} else {
		entries := leaves(read(dir, "entry.jsonl"))
		if len(entries) != 1 {
			fail("entry.jsonl must hold exactly one entry")
		}
		record = entries[0]
	}
	if err := tlog.CheckRecord(tlog.RecordProof(hashes(inc.InclusionPath)), size, root, inc.Index, tlog.RecordHash(record)); err != nil {
		fail("inclusion proof of entry %d: %v", inc.Index, err)
	}
	fmt.Printf("OK %s size %d root %s: signature, tree hash and proofs verified\n", verifier.Name(), size, lines[2])
}
