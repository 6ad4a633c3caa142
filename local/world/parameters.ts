/**
 * Parameter Store: every PutParameter with Overwrite writes a new version; "name:version" reads
 * one. Parameter Store keeps the last 100 versions, dropping the oldest when a new one comes.
 */
import { FleetwatchError } from '../../lib/errors.js';
import type { Parameter, ParameterTier } from '../../lib/ports.js';

interface StoredVersion {
  value: string;
  version: number;
  tier: ParameterTier;
  modifiedAt: number;
}

/** Standard parameters hold 4 KB, Advanced 8 KB (bytes of the value). */
const MAX_BYTES: Record<ParameterTier, number> = { Standard: 4096, Advanced: 8192 };
const KEPT_VERSIONS = 100;

export class ParameterWorld {
  private readonly parameters = new Map<string, StoredVersion[]>();

  /** Writes a new version; returns it and whether the parameter was created. */
  put(name: string, value: string, tier: ParameterTier, now: number): { version: number; created: boolean } {
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > MAX_BYTES[tier]) {
      // PutParameter answers ValidationException; lib/errors has no validation type, so the base type.
      throw new FleetwatchError(`ValidationException: parameter ${name} is ${bytes} bytes, over the ${tier} tier's ${MAX_BYTES[tier]}`, {
        resource: name,
      });
    }
    let versions = this.parameters.get(name);
    const created = !versions;
    if (!versions) this.parameters.set(name, (versions = []));
    const version = (versions[versions.length - 1]?.version ?? 0) + 1;
    versions.push({ value, version, tier, modifiedAt: now });
    if (versions.length > KEPT_VERSIONS) versions.shift();
    return { version, created };
  }

  latest(name: string): Parameter | undefined {
    const versions = this.parameters.get(name);
    const last = versions?.[versions.length - 1];
    return last && { name, value: last.value, version: last.version };
  }

  version(name: string, version: number): Parameter | undefined {
    const found = this.parameters.get(name)?.find((stored) => stored.version === version);
    return found && { name, value: found.value, version: found.version };
  }

  /** "name" (latest) or "name:version", as GetParameter and the agent's ssm: config source accept. */
  resolve(location: string): Parameter | undefined {
    const match = /^(.*):(\d+)$/.exec(location);
    return match ? this.version(match[1]!, Number(match[2])) : this.latest(location);
  }

  /** DeleteParameter: every version goes. Returns whether it existed. */
  delete(name: string): boolean {
    return this.parameters.delete(name);
  }

  names(): string[] {
    return [...this.parameters.keys()];
  }
}
