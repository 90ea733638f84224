import Table from "cli-table3";

// The only importer of cli-table3: boxed tables like the epic's `jig ps` mock-up.
export function renderTable(head: string[], rows: string[][]): string {
  const table = new Table({ head, style: { head: [], border: [] }, wordWrap: false });
  for (const row of rows) table.push(row);
  return table.toString();
}
