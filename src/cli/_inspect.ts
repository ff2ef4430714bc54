/**
 * How every inspect command answers, as Docker's does: the objects found, as one indented JSON array (or
 * one --format line each), then one error line per name that was not found; exit 1 if any was missing.
 */
import { BunkerError, errorMessage } from "../errors.ts";
import { log } from "./_log.ts";
import { goJson } from "./_output.ts";
import { checkTemplate, formatTemplate, TemplateParseError } from "./_template.ts";

/** `lookup` returns the object, or throws an error whose message is the line to print */
export async function printInspect(refs: string[], format: string | undefined, lookup: (ref: string) => Promise<unknown>): Promise<number> {
  if (format && format !== "json") {
    try {
      checkTemplate(format);
    } catch (e) {
      // docker's inspect answers a template that does not parse with exit 64, before any lookup
      if (e instanceof TemplateParseError) throw new BunkerError(`template parsing error: ${e.message}`, { exitCode: 64 });
      throw e;
    }
  }
  const out: unknown[] = [];
  const errors: string[] = [];
  for (const ref of refs) {
    try {
      out.push(await lookup(ref));
    } catch (e) {
      errors.push(errorMessage(e));
    }
  }
  if (format && format !== "json") for (const v of out) process.stdout.write(`${formatTemplate(format, v)}\n`);
  else process.stdout.write(`${goJson(out, 4)}\n`);
  for (const m of errors) log.error(m);
  return errors.length ? 1 : 0;
}
