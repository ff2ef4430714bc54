/**
 * --format templates: an unknown field fails like Docker's Go templates (struct contexts for list
 * rows, the raw-JSON fallback wording for inspect), while an absent key of a map-typed field still
 * prints "<no value>".
 */
import { describe, expect, test } from "bun:test";
import { formatRows, formatTemplate, TemplateError } from "../../src/cli/_template.ts";

const inspectDoc = () => ({
  Id: "abc",
  State: { Status: "running", ExitCode: 0 },
  Config: { Labels: { a: "1" }, Env: ["A=1"], Volumes: null },
  HostConfig: { LogConfig: { Type: "json-file", Config: { "max-size": "2k" } }, Memory: 0 },
  NetworkSettings: { Networks: { bridge: { IPAddress: "10.0.0.2" } } },
});

function errorOf(f: () => unknown): TemplateError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TemplateError);
    return e as TemplateError;
  }
  throw new Error("no error");
}

describe("template: unknown fields", () => {
  test("a list row is a struct: Go's error with line:col and the context type, exit 1", () => {
    const rows = [{ ID: "abc", Names: "web" }];
    const e = errorOf(() => formatRows("{{.Foo}}", rows, {}, "*formatter.ContainerContext"));
    expect(e.message).toBe('template: :1:2: executing "" at <.Foo>: can\'t evaluate field Foo in type *formatter.ContainerContext');
    expect(e.exitCode).toBe(1);
    expect(errorOf(() => formatRows("{{.ID}} {{ .Nope }}", rows, {}, "*formatter.ContainerContext")).message).toStartWith(
      'template: :1:11: executing "" at <.Nope>:',
    );
    expect(errorOf(() => formatRows("table {{.ID}}\t{{.Foo}}", rows)).message).toContain("can't evaluate field Foo");
    expect(formatRows("{{.ID}} {{.Names}}", rows)).toBe("abc web\n");
  });

  test("a field of a string value names Go's type", () => {
    expect(errorOf(() => formatRows("{{.ID.Foo}}", [{ ID: "x" }], {}, "*formatter.ContainerContext")).message).toBe(
      'template: :1:5: executing "" at <.ID.Foo>: can\'t evaluate field Foo in type string',
    );
  });

  test("inspect: Docker's raw-JSON fallback wording, the node at the chain's second field", () => {
    const e = errorOf(() => formatTemplate("{{.Foo}}", inspectDoc()));
    expect(e.message).toBe('template parsing error: template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo"');
    expect(e.exitCode).toBe(1);
    expect(errorOf(() => formatTemplate("{{ .Id }} {{ if .State.Nope }}x{{end}}", inspectDoc())).message).toBe(
      'template parsing error: template: :1:22: executing "" at <.State.Nope>: map has no entry for key "Nope"',
    );
    expect(errorOf(() => formatTemplate("{{range .NetworkSettings.Networks}}{{.IPAdress}}{{end}}", inspectDoc())).message).toContain(
      'map has no entry for key "IPAdress"',
    );
    expect(errorOf(() => formatTemplate("{{json .NetworkSettings.Nets}}", inspectDoc())).message).toContain(
      'at <.NetworkSettings.Net...>: map has no entry for key "Nets"',
    );
  });

  test("absent keys of maps print <no value>; known fields and omitempty ones still work", () => {
    const d = inspectDoc();
    expect(formatTemplate("{{.Config.Labels.missing}}", d)).toBe("<no value>");
    expect(formatTemplate("{{.Config.Labels.a}}", d)).toBe("1");
    expect(formatTemplate("{{with .Config.Labels}}{{.nope}}{{end}}", d)).toBe("<no value>");
    expect(formatTemplate("{{.HostConfig.LogConfig.Config.max-file}}", d)).toBe("<no value>");
    expect(formatTemplate("{{.NetworkSettings.Networks.host}}", d)).toBe("<no value>");
    expect(formatTemplate("{{.NetworkSettings.Networks.bridge.IPAddress}}", d)).toBe("10.0.0.2");
    expect(formatTemplate("{{.State.Status}} {{.HostConfig.Memory}} {{json .Config.Env}}", d)).toBe('running 0 ["A=1"]');
    expect(formatTemplate("{{.Config.Volumes}}", d)).toBe("map[]");
    expect(formatTemplate("[{{.Config.StopSignal}}] {{.HostConfig.Init}}", d)).toBe("[] <nil>");
    expect(formatTemplate("{{index .Config.Labels \"zz\"}}", d)).toBe("<no value>");
    // a nil value's fields stay lenient, as before
    expect(formatTemplate("{{.State.Health.Status}}", d)).toBe("<no value>");
  });

  test("a method of a row context is a field", () => {
    const row = { ID: "x" };
    Object.defineProperty(row, "Label", { value: (k: unknown) => (k === "a" ? "1" : ""), enumerable: false });
    expect(formatRows('{{.Label "a"}}', [row], {}, "*formatter.ContainerContext")).toBe("1\n");
  });
});
