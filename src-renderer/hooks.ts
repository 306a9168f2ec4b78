import { useCallback, useEffect, useRef, useState } from 'react';
import type { ErrorView } from '../src-shared/contract.js';
import { errorView } from './api.js';

/** Runs one async operation at a time with busy and error state, for a form or a button. */
export function useTask(): {
  busy: boolean;
  error: ErrorView | undefined;
  run: <T>(operation: () => Promise<T>) => Promise<T | undefined>;
  clearError: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorView | undefined>();
  const mounted = useRef(true);
  useEffect(() => () => { mounted.current = false; }, []);
  const run = useCallback(async <T,>(operation: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      return await operation();
    } catch (caught) {
      if (mounted.current) setError(errorView(caught));
      return undefined;
    } finally {
      if (mounted.current) setBusy(false);
    }
  }, []);
  return { busy, error, run, clearError: useCallback(() => setError(undefined), []) };
}

/** Calls `tick` now and every `seconds` while mounted. */
export function useInterval(tick: () => void, seconds: number): void {
  const saved = useRef(tick);
  saved.current = tick;
  useEffect(() => {
    saved.current();
    const id = setInterval(() => saved.current(), seconds * 1000);
    return () => clearInterval(id);
  }, [seconds]);
}

/** Non-secret preferences of this window (Vault node addresses), kept in localStorage. */
export function useStoredList(key: string): [string[], (next: string[]) => void] {
  const [value, setValue] = useState<string[]>(() => {
    try {
      const parsed: unknown = JSON.parse(localStorage.getItem(key) ?? '[]');
      return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string') : [];
    } catch {
      return [];
    }
  });
  const save = useCallback((next: string[]) => {
    setValue(next);
    localStorage.setItem(key, JSON.stringify(next));
  }, [key]);
  return [value, save];
}

/** Which Vault cluster the screens talk to: a saved profile (with its TLS files), or typed node addresses. */
export interface ClusterTarget { addrs: string[]; profile?: string }

const ADDRS_KEY = 'custodian.vault.addrs';
const PROFILE_KEY = 'custodian.vault.profile';

export function useClusterTarget(): [ClusterTarget, (next: ClusterTarget) => void] {
  const [addrs, setAddrs] = useStoredList(ADDRS_KEY);
  const [profile, setProfile] = useState<string | undefined>(() => localStorage.getItem(PROFILE_KEY) ?? undefined);
  const target: ClusterTarget = profile ? { addrs, profile } : { addrs };
  const save = useCallback((next: ClusterTarget) => {
    setAddrs(next.addrs);
    setProfile(next.profile);
    if (next.profile) localStorage.setItem(PROFILE_KEY, next.profile); else localStorage.removeItem(PROFILE_KEY);
  }, [setAddrs]);
  return [target, save];
}
