import { startFakeAnthropic } from '../test/support/fakeAnthropic.js';

/** The local Messages API in its own process, so the benchmark's client does not share a thread with it. */
const fake = await startFakeAnthropic();
process.stdout.write(`${fake.url}\n`);
process.on('SIGTERM', () => void fake.close().then(() => process.exit(0)));
