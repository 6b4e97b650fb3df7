/** Content identity of a scenario: what a worker compares before it applies one (like data sha256). */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json.js';
import type { Scenario } from './types.js';

/** sha256 (hex) of the scenario's validated document, keys sorted: same shocks, same hash. */
export function scenarioSha256(s: Pick<Scenario, 'doc'>): string {
  return createHash('sha256').update(canonicalJson(s.doc)).digest('hex');
}
