package dev.coemesh.operator.planner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The planner's decisions, read from the router service's {@code GET /v1/planner}. The one client
 * of that endpoint: it owns the timeout, and a planner that does not answer gives no decisions (the
 * operator then keeps the replicas the pools have; it never scales on a failed read).
 */
public final class PlannerDecisions {
  private static final Logger log = LoggerFactory.getLogger(PlannerDecisions.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(3);

  /** One phase's decision. */
  public record Planned(int desiredReplicas, String reason, long lastChangeMs) {}

  private final URI endpoint;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(TIMEOUT).version(HttpClient.Version.HTTP_1_1).build();

  /**
   * @param base the router service's base URL
   */
  public PlannerDecisions(URI base) {
    Objects.requireNonNull(base, "base");
    this.endpoint = base.resolve("/v1/planner");
  }

  /**
   * Every pool's decision, by expert then phase ({@code colocated}, {@code prefill}, {@code
   * decode}); empty when the planner is off or unreachable.
   */
  public Map<String, Map<String, Planned>> fetch() {
    try {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(endpoint).timeout(TIMEOUT).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        log.warn("planner at {} answered {}", endpoint, response.statusCode());
        return Map.of();
      }
      return parse(response.body());
    } catch (IOException e) {
      log.warn("planner at {} unreachable: {}", endpoint, e.toString());
      return Map.of();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Map.of();
    }
  }

  static Map<String, Map<String, Planned>> parse(String body) throws IOException {
    JsonNode root = JSON.readTree(body);
    Map<String, Map<String, Planned>> out = new HashMap<>();
    for (JsonNode row : root.path("pools")) {
      String expert = row.path("expert").asText("");
      String phase = row.path("phase").asText("");
      if (expert.isEmpty() || phase.isEmpty() || !row.path("desiredReplicas").canConvertToInt()) {
        continue;
      }
      out.computeIfAbsent(expert, e -> new HashMap<>())
          .put(
              phase,
              new Planned(
                  row.path("desiredReplicas").asInt(),
                  row.path("reason").asText("steady"),
                  row.path("lastChangeMs").asLong(0)));
    }
    return out;
  }
}
