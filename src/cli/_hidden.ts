/** Hidden modes of the binary, used by bunker itself (never typed by users). */
const modes: Record<string, () => Promise<(args: string[]) => Promise<void> | void>> = {};

export async function runHiddenMode(name: string, args: string[]): Promise<void> {
  const load = modes[name];
  if (!load) {
    process.stderr.write(`bunker: unknown internal mode ${name}\n`);
    process.exit(125);
  }
  const run = await load();
  await run(args);
}
