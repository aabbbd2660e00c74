package dev.coemesh.worker.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.worker.auth.MeshCallCredentials;
import dev.coemesh.worker.auth.MeshCredential;
import dev.coemesh.worker.rpc.WorkerMessages;
import dev.coemesh.worker.v1.ColocatedGrpc;
import dev.coemesh.worker.v1.GenerateRequest;
import dev.coemesh.worker.v1.Sampling;
import dev.coemesh.worker.v1.TokenReply;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A test client of a worker's HTTP port, and of its gRPC {@code Generate} to compare with. */
final class OpenAiHttp {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private OpenAiHttp() {}

  static HttpResponse<String> post(int port, String path, String body, Map<String, String> headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(60))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(request::header);
    return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> post(int port, String path, String body)
      throws IOException, InterruptedException {
    return post(port, path, body, Map.of());
  }

  static HttpResponse<String> send(int port, String method, String path)
      throws IOException, InterruptedException {
    return CLIENT.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(30))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> response) throws IOException {
    return JSON.readTree(response.body());
  }

  /** The {@code data:} payloads of an SSE body, {@code [DONE]} included. */
  static List<String> events(String body) {
    List<String> out = new ArrayList<>();
    for (String frame : body.split("\n\n")) {
      if (!frame.isBlank()) {
        if (!frame.startsWith("data: ")) {
          throw new AssertionError("not an SSE data frame: " + frame);
        }
        out.add(frame.substring(6));
      }
    }
    return out;
  }

  /** What gRPC {@code Generate} answers for a text prompt: the text and the finished reply. */
  record Grpc(String text, dev.coemesh.worker.v1.Finished finished) {}

  static Grpc generate(int grpcPort, MeshCredential credential, String prompt, int maxTokens)
      throws InterruptedException {
    ManagedChannel channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
    try {
      Iterator<TokenReply> replies =
          ColocatedGrpc.newBlockingStub(channel)
              .withCallCredentials(new MeshCallCredentials(credential))
              .withDeadlineAfter(60, TimeUnit.SECONDS)
              .generate(
                  GenerateRequest.newBuilder()
                      .setRequest(WorkerMessages.ref(RequestId.random(), new TenantId("grpc")))
                      .setText(prompt)
                      .setSampling(Sampling.newBuilder().setTemperature(0).setMaxTokens(maxTokens))
                      .build());
      StringBuilder text = new StringBuilder();
      while (true) {
        TokenReply reply = replies.next();
        if (reply.hasFinished()) {
          return new Grpc(text.toString(), reply.getFinished());
        }
        text.append(reply.getToken().getText());
      }
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
