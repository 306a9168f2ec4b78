/**
 * The application's ACL policy: written as plain HCL, and a live policy read back and compared by meaning (paths and
 * capabilities), not by text, so that a policy granting MORE than the plan is reported with what it grants extra.
 * Only the subset Key Custodian writes is understood (path blocks with a capabilities list); anything else in a
 * live policy (parameters constraints, other stanzas) is reported as a difference and replaced: never kept unread.
 */

export type PolicyRules = Record<string, string[]>;

export function renderPolicy(app: string, rules: PolicyRules): string {
  const blocks = Object.keys(rules).sort().map((path) => `path "${path}" {\n  capabilities = [${rules[path]!.map((c) => `"${c}"`).join(', ')}]\n}\n`);
  return `# Managed by Key Custodian (custodian vault setup --app ${app}): read-only access to ${app}'s secrets.\n${blocks.join('')}`;
}

/** The path blocks of an HCL policy; null when it has content outside the understood subset. */
export function parsePolicy(text: string): PolicyRules | null {
  const withoutComments = text.split('\n').map((line) => line.replace(/^\s*(#|\/\/).*$/, '')).join('\n');
  const rules: PolicyRules = {};
  const block = /path\s+"([^"]+)"\s*\{\s*capabilities\s*=\s*\[([^\]]*)\]\s*\}/g;
  const rest = withoutComments.replace(block, (_all, path: string, list: string) => {
    const capabilities = list.split(',').map((c) => c.trim()).filter(Boolean).map((c) => c.replace(/^"(.*)"$/, '$1'));
    rules[path] = [...new Set([...(rules[path] ?? []), ...capabilities])].sort();
    return '';
  });
  return rest.trim() === '' ? rules : null;
}

/** Differences between a live policy and the plan's rules, worded for the officer; empty when they match. */
export function comparePolicy(live: string, wanted: PolicyRules): string[] {
  const rules = parsePolicy(live);
  if (!rules) return ['has content Key Custodian does not recognise (it would be replaced by the plan\'s rules)'];
  const differences: string[] = [];
  for (const [path, capabilities] of Object.entries(rules).sort()) {
    const expected = wanted[path];
    if (!expected) {
      if (capabilities.some((c) => c !== 'deny')) differences.push(`grants more than the plan: ${capabilities.join(', ')} on ${path}`);
      continue;
    }
    const extra = capabilities.filter((c) => !expected.includes(c));
    if (extra.length > 0) differences.push(`grants more than the plan: ${extra.join(', ')} on ${path}`);
  }
  for (const [path, capabilities] of Object.entries(wanted).sort()) {
    const missing = capabilities.filter((c) => !(rules[path] ?? []).includes(c) || (rules[path] ?? []).includes('deny'));
    if (missing.length > 0) differences.push(`lacks ${missing.join(', ')} on ${path}`);
  }
  return differences;
}
