import { existsSync, readFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import type { Notification, NotificationPublisher } from '../../shared/usecases/ports.js';

/**
 * The local stand-in for SNS: each notification printed and appended as one JSON line to
 * `<data dir>/notifications.jsonl`. Ids already in the file are not written again, so a run that
 * crashed after writing but before marking the claim sent does not produce a second line.
 */
export class NotificationFile implements NotificationPublisher {
  private readonly written = new Set<string>();
  private separator = '';

  constructor(
    readonly path: string,
    private readonly print: (line: string) => void,
  ) {
    if (!existsSync(path)) return;
    const text = readFileSync(path, 'utf8');
    if (text.length > 0 && !text.endsWith('\n')) this.separator = '\n';
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const id = (JSON.parse(line) as { id?: unknown }).id;
        if (typeof id === 'string') this.written.add(id);
      } catch {
        // A torn last line from a killed process: its notification is published again.
      }
    }
  }

  async publish(notification: Notification): Promise<void> {
    if (this.written.has(notification.id)) return;
    await appendFile(this.path, this.separator + JSON.stringify(notification) + '\n');
    this.separator = '';
    this.written.add(notification.id);
    this.print(`[${notification.severity}] ${notification.subject}`);
  }
}
