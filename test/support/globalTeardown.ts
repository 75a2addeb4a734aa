export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __tokmonDynamo?: { stop(): Promise<void> } }).__tokmonDynamo?.stop();
}
