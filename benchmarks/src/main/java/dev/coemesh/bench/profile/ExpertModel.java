package dev.coemesh.bench.profile;

import dev.coemesh.core.model.SharedModels;
import dev.coemesh.pool.synthetic.SyntheticModels;
import dev.coemesh.router.config.RoutingConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The model files an expert of a routing config serves, for profiling it: an embedded source's
 * model and tokenizer in the shared models folder, or a synthetic model ({@code synthetic:SHAPE},
 * written to its cache first). The config is read by the router's own loader.
 *
 * @param model the weights (llama2.c .bin or GGUF)
 * @param tokenizer the llama2.c tokenizer, or null for a GGUF or a synthetic model
 */
public record ExpertModel(Path model, Path tokenizer) {

  /** Looks {@code expert} up in {@code routing}; the message names the known experts if absent. */
  public static ExpertModel forExpert(RoutingConfig routing, String expert) throws IOException {
    Optional<RoutingConfig.Expert> found =
        routing.experts().stream().filter(e -> e.name().value().equals(expert)).findFirst();
    if (found.isEmpty()) {
      throw new IllegalArgumentException(
          "no expert '"
              + expert
              + "' in the routing config (known: "
              + String.join(", ", routing.experts().stream().map(e -> e.name().value()).toList())
              + "); give --model FILE to profile any model under that name");
    }
    if (!(found.get().source() instanceof RoutingConfig.ModelSource.Embedded source)) {
      throw new IllegalArgumentException(
          "expert '" + expert + "' is not served by the embedded engine; give --model FILE");
    }
    if (SyntheticModels.isSynthetic(source.model())) {
      return new ExpertModel(
          SyntheticModels.materialize(source.model(), SyntheticModels.DEFAULT_CACHE), null);
    }
    return new ExpertModel(
        SharedModels.file(source.model()),
        source.tokenizer() == null ? null : SharedModels.file(source.tokenizer()));
  }
}
