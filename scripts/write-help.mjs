#!/usr/bin/env node
// Writes dist/cli/help.txt, the top-level `mdeploy --help`, from the built commander
// program, so the CLI can print it without loading commander (cold start budget).
import { writeFileSync } from "node:fs";
import { createProgram } from "../dist/cli/program.js";
import { TOP_LEVEL_EPILOGUE } from "../dist/cli/help-text.js";

const program = createProgram("0.0.0", { json: false, debug: false }, () => {
  throw new Error("no command runs while writing help");
});
// helpInformation() leaves out addHelpText(); the epilogue is appended as outputHelp() would.
writeFileSync(new URL("../dist/cli/help.txt", import.meta.url), `${program.helpInformation()}${TOP_LEVEL_EPILOGUE}\n`);
