// nginx as the reference, at its best for this load: one worker (pinned to
// the server core like every other server), sendfile on, and tcp_nopush off:
// on loopback here `tcp_nopush on` measured about 35% slower for one stream
// (issue 11), and a handicapped reference flatters every ratio. Writes its
// configuration into `dir` and returns the command that runs it in the
// foreground (so the orchestrator owns the process group).
import { writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import process from "node:process";

export function nginxCommand(bin, dir, port, root) {
  const t = (name) => join(dir, name);
  // As root, workers would run as `nobody`, who may not reach the data files.
  const user = process.getuid?.() === 0 ? `user ${userInfo().username};\n` : "";
  const conf = `${user}worker_processes 1;
error_log ${t("error.log")} warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush off;
  keepalive_requests 1000000;
  default_type application/octet-stream;
  client_body_temp_path ${t("body")};
  proxy_temp_path ${t("proxy")};
  fastcgi_temp_path ${t("fastcgi")};
  uwsgi_temp_path ${t("uwsgi")};
  scgi_temp_path ${t("scgi")};
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / { }
  }
}
`;
  writeFileSync(t("nginx.conf"), conf);
  return [bin, ["-p", dir, "-c", t("nginx.conf"), "-g", `daemon off; pid ${t("nginx.pid")};`]];
}
