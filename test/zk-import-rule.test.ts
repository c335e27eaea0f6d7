import { ESLint } from "eslint";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repo = fileURLToPath(new URL("..", import.meta.url));

/** Lints `text` as if it were a file at `path` in this repository, with the project's own config. */
async function ruleIds(path: string, text: string): Promise<string[]> {
  const [result] = await new ESLint({ cwd: repo }).lintText(text, { filePath: `${repo}/${path}` });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe("src/zk does not import the CLI or the commands (eslint.config.js)", { timeout: 60_000 }, () => {
  it.each([
    ['import type { Output } from "../cli/output.js";\nexport type O = Output;\n'],
    ['import { runZkId } from "../commands/zk-id.js";\nexport const r = runZkId;\n'],
    ['export const load = () => import("../../cli/context.js");\n'],
  ])("refuses %s", async (text) => {
    const messages = await ruleIds("src/zk/discovery/lint-probe.ts", text);
    expect(messages.join("\n")).toMatch(/no-restricted-(imports|syntax): .*src\/zk is below the CLI and the commands/);
  });

  it("lets src/zk import its own modules and the core, and lets the CLI import src/zk", async () => {
    expect(await ruleIds("src/zk/lint-probe.ts", 'import type { Clock } from "../core/clock.js";\nimport { addressKey } from "./members.js";\nexport const k: [Clock | null, typeof addressKey] = [null, addressKey];\n')).toEqual([]);
    expect(await ruleIds("src/cli/lint-probe.ts", 'import type { ZkIdFlags } from "../zk/zk-id-flags.js";\nexport type F = ZkIdFlags;\n')).toEqual([]);
  });
});
