package dev.coemesh.routerservice;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.router.Router;
import dev.coemesh.router.classify.CategoryModel;
import dev.coemesh.router.config.RoutingConfig;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * REST front of the router: {@code POST /v1/route} decides one request (the decision's fields as
 * JSON), {@code GET /v1/routing} shows what the router runs on (categories, experts, classifier
 * evaluation). Decisions run on a worker thread: the prompt embedding takes milliseconds of CPU.
 */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
public class RouteResource {
  private final Router router;
  private final MeterRegistry meters;
  private final ObjectReader reader;

  public RouteResource(Router router, MeterRegistry meters, ObjectMapper json) {
    this.router = router;
    this.meters = meters;
    this.reader =
        json.readerFor(RouteBody.class)
            .with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  }

  /** The body is parsed here, not by the framework, so every malformed one gets our error. */
  @POST
  @Path("/route")
  @Consumes(MediaType.WILDCARD)
  public DecisionView route(byte[] body) {
    if (body == null || body.length == 0) {
      throw new MeshException(ErrorCode.INVALID_REQUEST, "the request body is empty");
    }
    RouteBody parsed;
    try {
      parsed = reader.readValue(body);
    } catch (UnrecognizedPropertyException e) {
      throw new MeshException(
          ErrorCode.INVALID_REQUEST,
          "unknown parameter '" + e.getPropertyName() + "'",
          e.getPropertyName(),
          e);
    } catch (IOException e) {
      String message =
          e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
      throw new MeshException(
          ErrorCode.INVALID_REQUEST, "the body is not a valid route request: " + message, e);
    }
    if (parsed == null) {
      throw new MeshException(ErrorCode.INVALID_REQUEST, "the request body is null");
    }
    return RouteDecisions.decide(router, parsed.toRequest(), meters);
  }

  /** The routing config in force and how its classifier was chosen. */
  public record Routing(
      List<String> categories,
      List<String> experts,
      @JsonProperty("fallback_expert") String fallbackExpert,
      @JsonProperty("confidence_threshold") double confidenceThreshold,
      String classifier,
      @JsonProperty("cross_validated_accuracy") Map<String, Double> crossValidatedAccuracy) {}

  @GET
  @Path("/routing")
  public Routing routing() {
    RoutingConfig c = router.config();
    CategoryModel.Evaluation e = router.evaluation();
    return new Routing(
        c.categories().stream().map(RoutingConfig.Category::name).toList(),
        c.experts().stream().map(x -> x.name().value()).toList(),
        c.fallbackExpert().value(),
        c.confidenceThreshold(),
        e.chosen(),
        e.crossValidatedAccuracy());
  }
}
