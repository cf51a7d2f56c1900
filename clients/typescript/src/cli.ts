#!/usr/bin/env node
// Command line for Node: `foley-client generate "glass shatters" --seed 7 -o glass.wav`.
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";

import { Client, type Clip, type GenerateOptions } from "./client.js";
import { FoleyError } from "./errors.js";

const USAGE = `usage: foley-client [--base-url URL] [--api-key KEY] [--deadline SECONDS] <command>

commands:
  generate PROMPT [--n N] [-o FILE]          one request: one clip, or n variants
  variants PROMPT --count N [--concurrency C] [-o STEM]
  models                                     list the loaded models (JSON)
  integration-prompt                         print the copy-to-prompt text
generation options: --cfg --seed --duration --negative-prompt --steps --format wav|flac --model
defaults: $FOLEY_BASE_URL (else http://127.0.0.1:8080), $FOLEY_API_KEY`;

async function writeClips(clips: Clip[], stem: string): Promise<void> {
  for (const clip of clips) {
    const path = `${stem}-${clip.seed}.${clip.format}`;
    await writeFile(path, clip.audio);
    console.log(path);
  }
}

function number(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new UsageError(`--${name} must be a number, got '${value}'`);
  return parsed;
}

class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        "base-url": { type: "string" }, "api-key": { type: "string" }, deadline: { type: "string" },
        cfg: { type: "string" }, seed: { type: "string" }, n: { type: "string" }, duration: { type: "string" },
        "negative-prompt": { type: "string" }, steps: { type: "string" }, format: { type: "string" },
        model: { type: "string" }, count: { type: "string" }, concurrency: { type: "string" },
        output: { type: "string", short: "o" }, help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    console.error(`foley-client: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, prompt] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  try {
    const deadline = number(values.deadline, "deadline");
    const client = new Client({
      apiKey: values["api-key"], baseUrl: values["base-url"],
      retry: deadline !== undefined ? { deadlineMs: deadline * 1000 } : {},
    });
    if (command === "generate" || command === "variants") {
      if (!prompt) throw new UsageError(`${command} needs a PROMPT`);
      const format = values.format;
      if (format !== undefined && format !== "wav" && format !== "flac") throw new UsageError("--format is wav or flac");
      const options: GenerateOptions = {
        cfg: number(values.cfg, "cfg"), seed: number(values.seed, "seed"), duration: number(values.duration, "duration"),
        negativePrompt: values["negative-prompt"], steps: number(values.steps, "steps"), format, model: values.model,
      };
      if (command === "variants") {
        const count = number(values.count, "count");
        if (count === undefined) throw new UsageError("variants needs --count N");
        const concurrency = number(values.concurrency, "concurrency");
        await writeClips(await client.generateVariants(prompt, count, { ...options, concurrency }), values.output ?? "foley");
        return 0;
      }
      const clips = await client.generateClips(prompt, { ...options, n: number(values.n, "n") });
      if (clips.length === 1 && values.output) {
        if (values.output === "-") process.stdout.write(clips[0]!.audio);
        else {
          await writeFile(values.output, clips[0]!.audio);
          console.log(`${values.output} (seed ${clips[0]!.seed})`);
        }
        return 0;
      }
      await writeClips(clips, (values.output ?? "foley").replace(/\.(wav|flac)$/, ""));
      return 0;
    }
    if (command === "models") {
      console.log(JSON.stringify(await client.models(), null, 2));
      return 0;
    }
    if (command === "integration-prompt") {
      process.stdout.write(await client.integrationPrompt());
      return 0;
    }
    throw new UsageError(`unknown command '${command}'`);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`foley-client: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof FoleyError) {
      console.error(`foley-client: error: ${String(error)}`);
      return 1;
    }
    throw error;
  }
}

// Run when executed (node dist/src/cli.js or the foley-client bin), not when imported by tests.
const invoked = process.argv[1] ?? "";
if (invoked.endsWith("cli.js") || invoked.endsWith("foley-client")) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
