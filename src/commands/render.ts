import type { CliContext } from "../cli/context.js";

export interface RenderOptions {
  environments: string[];
  outDir: string;
}

export async function runRender(options: RenderOptions, context: CliContext): Promise<void> {
  context.output.info(`render ${options.environments.join(", ")} into ${options.outDir}`);
}
