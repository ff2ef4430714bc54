/**
 * `bunker system boot`: after a reboot, start the containers whose restart policy asks for it
 * (`always`, or `unless-stopped` when the user had not stopped them), as dockerd does when it comes up.
 * Run once at boot by systemd:
 *
 *   # /etc/systemd/system/bunker-boot.service
 *   [Unit]
 *   Description=Start bunker containers with a restart policy
 *   After=network-online.target local-fs.target
 *   Wants=network-online.target
 *
 *   [Service]
 *   Type=oneshot
 *   RemainAfterExit=yes
 *   ExecStart=/usr/local/bin/bunker system boot
 *   # the supervisors it starts must outlive this unit's process
 *   KillMode=process
 *
 *   [Install]
 *   WantedBy=multi-user.target
 *
 *   systemctl daemon-reload && systemctl enable bunker-boot.service
 */
import { bootContainers } from "../../engine/containers/index.ts";
import type { CommandSpec } from "../_command.ts";
import { log } from "../_log.ts";

const spec: CommandSpec<{}> = {
  name: "system boot",
  description: "Start the containers whose restart policy asks for it (run once at boot)",
  flags: {},
  args: { max: 0 },
  async run() {
    const r = await bootContainers();
    for (const id of r.started) process.stdout.write(`${id}\n`);
    for (const f of r.failed) log.error(`${f.id}: ${f.error}`);
    return r.failed.length ? 1 : 0;
  },
};
export default spec;
