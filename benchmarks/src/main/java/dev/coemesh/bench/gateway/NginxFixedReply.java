package dev.coemesh.bench.gateway;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * BENCHMARK STUB, not a model: nginx answering {@code POST .../completions} from memory with the
 * same replies as {@link FixedReplyUpstream} (JSON under {@code /v1}, the SSE stream under {@code
 * /sse/v1}). Preferred when nginx is installed: a separate, event-driven process keeps the stub's
 * own cost small and off the benchmark's JVM.
 */
final class NginxFixedReply implements AutoCloseable {
  private final int port;
  private final ChildProcess process;

  NginxFixedReply(Path nginx, Path dir) throws Exception {
    this.port = ChildProcess.freePort();
    Files.createDirectories(dir.resolve("logs"));
    String conf =
        """
        worker_processes 1;
        pid %1$s/nginx.pid;
        error_log %1$s/logs/error.log warn;
        events { worker_connections 4096; }
        http {
          access_log off;
          client_body_temp_path %1$s/body;
          keepalive_requests 1000000;
          server {
            listen 127.0.0.1:%2$d;
            location ~ ^/sse/.*/completions$ {
              default_type text/event-stream;
              return 200 '%3$s';
            }
            location ~ /completions$ {
              default_type application/json;
              return 200 '%4$s';
            }
          }
        }
        """
            .formatted(
                dir,
                port,
                FixedReplyUpstream.streamBody().replace("\n", "\\n"),
                FixedReplyUpstream.jsonBody());
    Path confFile = dir.resolve("nginx.conf");
    Files.writeString(confFile, conf);
    this.process =
        new ChildProcess(
            "nginx stub",
            List.of(
                nginx.toString(),
                "-p",
                dir.toString(),
                "-c",
                confFile.toString(),
                "-g",
                "daemon off;"),
            Map.of(),
            dir.resolve("logs/stdout.log"));
    process.awaitReady(() -> ChildProcess.listening(port), 10_000);
  }

  int port() {
    return port;
  }

  @Override
  public void close() throws Exception {
    process.close();
  }
}
