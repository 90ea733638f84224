// `npm run bench`: every benchmark, each measured beside its baseline in one run and printed as ratios.
// `npm run bench -- landing` runs only the named ones.

const BENCHES = ["store", "landing", "tools", "fanout", "cli"];
const load = (name: string): Promise<{ run: () => Promise<void> }> => import(`./${name}.js`);

const wanted = process.argv.slice(2);
for (const name of BENCHES) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  let module: { run: () => Promise<void> };
  try {
    module = await load(name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND") {
      process.stdout.write(`\n## ${name}: not built yet (bench/${name}.ts missing)\n`);
      continue;
    }
    throw error;
  }
  await module.run();
}
