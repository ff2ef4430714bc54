import { describe, expect, test } from "bun:test";
import { applyChanges, ChangeError } from "../../src/engine/images/changes.ts";

describe("import/commit --change", () => {
  test("CMD and ENTRYPOINT: exec form as given, shell form through /bin/sh -c", () => {
    expect(applyChanges({}, ['CMD ["sh", "-c", "echo hi"]']).Cmd).toEqual(["sh", "-c", "echo hi"]);
    expect(applyChanges({}, ["CMD echo hi"]).Cmd).toEqual(["/bin/sh", "-c", "echo hi"]);
    expect(applyChanges({}, ['ENTRYPOINT ["/bin/app"]'])).toEqual({ Entrypoint: ["/bin/app"], Cmd: null });
    expect(applyChanges({}, ['CMD ["a"]', 'ENTRYPOINT ["b"]'])).toEqual({ Cmd: ["a"], Entrypoint: ["b"] });
    expect(applyChanges({}, ["cmd [\"lower\"]"]).Cmd).toEqual(["lower"]);
  });

  test("ENV: key=value pairs with quotes, the legacy form, replacement and expansion", () => {
    const c = applyChanges({ Env: ["PATH=/bin"] }, ['ENV A=1 B="two words" C=\'$A\' F=$A', "ENV D the rest of it", "ENV PATH=$PATH:/usr/bin", "ENV E=${A}x"]);
    expect(c.Env).toEqual(["PATH=/bin:/usr/bin", "A=1", "B=two words", "C=$A", "F=", "D=the rest of it", "E=1x"]);
  });

  test("WORKDIR, USER, LABEL, EXPOSE, VOLUME, STOPSIGNAL", () => {
    const c = applyChanges({}, ["WORKDIR /app", "WORKDIR sub", "USER nobody:nogroup", 'LABEL a=b "c d"="e f"', "EXPOSE 80 53/udp 8000-8001", 'VOLUME ["/data", "/logs"]', "VOLUME /x /y", "STOPSIGNAL SIGINT"]);
    expect(c.WorkingDir).toBe("/app/sub");
    expect(c.User).toBe("nobody:nogroup");
    expect(c.Labels).toEqual({ a: "b", "c d": "e f" });
    expect(Object.keys(c.ExposedPorts!)).toEqual(["80/tcp", "53/udp", "8000/tcp", "8001/tcp"]);
    expect(Object.keys(c.Volumes!)).toEqual(["/data", "/logs", "/x", "/y"]);
    expect(c.StopSignal).toBe("SIGINT");
  });

  test("ONBUILD and HEALTHCHECK", () => {
    const c = applyChanges({}, ["ONBUILD run echo hi", "HEALTHCHECK --interval=5s --retries=3 CMD wget -q localhost"]);
    expect(c.OnBuild).toEqual(["RUN echo hi"]);
    expect(c.Healthcheck).toEqual({ Test: ["CMD-SHELL", "wget -q localhost"], Interval: 5e9, Retries: 3 });
    expect(applyChanges({}, ["HEALTHCHECK NONE"]).Healthcheck).toEqual({ Test: ["NONE"] });
  });

  test("refusals read like Docker's", () => {
    const bad: Array<[string, string]> = [
      ["RUN echo", "run is not a valid change command"],
      ["FROM busybox", "from is not a valid change command"],
      ["COPY a b", "copy is not a valid change command"],
      ["ONBUILD ONBUILD RUN x", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"],
      ["ONBUILD FROM x", "FROM isn't allowed as an ONBUILD trigger"],
      ["EXPOSE http", "invalid containerPort: http"],
      ["ENV A", "ENV must have two arguments"],
      ["ENV =x", "Syntax error"],
      ["STOPSIGNAL ???", "Invalid signal"],
      ["CMD", "CMD requires at least one argument"],
    ];
    for (const [change, msg] of bad) {
      expect(() => applyChanges({}, [change])).toThrow(ChangeError);
      expect(() => applyChanges({}, [change])).toThrow(msg);
    }
  });

  test("the base config is not modified", () => {
    const base = { Env: ["A=1"] };
    applyChanges(base, ["ENV A=2"]);
    expect(base.Env).toEqual(["A=1"]);
  });
});
