import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UsageEvent } from '../shared/domain/usage.js';

const CLAIM_STALE_MS = 5 * 60_000;

/**
 * Undelivered events as JSONL files. Each file is written whole under a temporary name and renamed
 * (atomic), claimed by renaming before it is sent, and deleted once the endpoint accepted it. Sending
 * a file twice is harmless: the server counts each event id once.
 */
export class Spool {
  private warnedDrop = false;

  constructor(
    readonly dir: string,
    private readonly maxBytes: number,
    private readonly warn: (message: string) => void,
  ) {}

  /** Synchronous so it can run in a process 'exit' handler. */
  write(events: UsageEvent[]): void {
    if (events.length === 0) return;
    mkdirSync(this.dir, { recursive: true });
    const name = `spool-${Date.now().toString().padStart(15, '0')}-${process.pid}-${randomBytes(4).toString('hex')}.jsonl`;
    const temporary = join(this.dir, `.${name}.tmp`);
    writeFileSync(temporary, events.map((event) => JSON.stringify(event)).join('\n') + '\n', { mode: 0o600 });
    renameSync(temporary, join(this.dir, name));
    this.enforceLimit();
  }

  private files(): { name: string; size: number }[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names
      .filter((name) => name.startsWith('spool-') && name.endsWith('.jsonl'))
      .sort()
      .map((name) => ({ name, size: statSync(join(this.dir, name)).size }));
  }

  private enforceLimit(): void {
    const files = this.files();
    let total = files.reduce((sum, file) => sum + file.size, 0);
    let dropped = 0;
    for (const file of files) {
      if (total <= this.maxBytes) break;
      try {
        unlinkSync(join(this.dir, file.name));
        total -= file.size;
        dropped += 1;
      } catch {
        // another monitor took it
      }
    }
    if (dropped > 0 && !this.warnedDrop) {
      this.warnedDrop = true;
      this.warn(`tokmon: spool ${this.dir} is over ${this.maxBytes} bytes; dropped the ${dropped} oldest file(s) of undelivered usage`);
    }
  }

  /** Claims the oldest spooled files (and stale claims of dead monitors) for sending. */
  claim(limit = 20): { path: string; events: UsageEvent[] }[] {
    const claimed: { path: string; events: UsageEvent[] }[] = [];
    let names: string[] = [];
    try {
      names = readdirSync(this.dir).sort();
    } catch {
      return claimed;
    }
    for (const name of names) {
      if (claimed.length >= limit) break;
      const path = join(this.dir, name);
      const stale = name.startsWith('claimed-') && Date.now() - statSync(path).mtimeMs > CLAIM_STALE_MS;
      if (!(name.startsWith('spool-') && name.endsWith('.jsonl')) && !stale) continue;
      const target = join(this.dir, `claimed-${process.pid}-${randomBytes(3).toString('hex')}-${name.replace(/^claimed-[^-]+-[^-]+-/, '')}`);
      try {
        renameSync(path, target);
        // A rename keeps the old mtime: stamp the claim so it is not taken for stale at once.
        const now = new Date();
        utimesSync(target, now, now);
      } catch {
        continue; // another monitor claimed it first
      }
      const events = readFileSync(target, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as UsageEvent];
          } catch {
            return [];
          }
        });
      claimed.push({ path: target, events });
    }
    return claimed;
  }

  done(path: string): void {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }

  /** Moves a file the endpoint will never take (it refused it permanently) out of the way, keeping it for inspection. */
  reject(path: string): void {
    const name = path.slice(path.lastIndexOf('/') + 1).replace(/^claimed-[^-]+-[^-]+-/, '');
    try {
      renameSync(path, join(this.dir, `rejected-${name}`));
    } catch {
      // already gone
    }
  }

  /** Gives a claimed file back (sending failed), under its original kind of name. */
  release(path: string): void {
    const name = path.slice(path.lastIndexOf('/') + 1).replace(/^claimed-[^-]+-[^-]+-/, '');
    try {
      renameSync(path, join(this.dir, name));
    } catch {
      // leave it; it becomes stale and is reclaimed later
    }
  }
}
