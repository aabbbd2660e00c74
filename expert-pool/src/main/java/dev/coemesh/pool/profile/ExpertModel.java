package dev.coemesh.pool.profile;

import dev.coemesh.core.model.SharedModels;
import dev.coemesh.pool.synthetic.SyntheticModels;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The model files an expert of a routing config serves, for profiling it: an {@code embedded}
 * source's {@code model} and {@code tokenizer} in the shared models folder, or a synthetic model
 * ({@code synthetic:SHAPE}, written to its cache first). Only the {@code experts} list is read; the
 * router's loader validates the rest of the file.
 *
 * @param model the weights (llama2.c .bin or GGUF)
 * @param tokenizer the llama2.c tokenizer, or null for a GGUF
 */
public record ExpertModel(Path model, Path tokenizer) {

  /** The shipped default routing config, relative to the repository root. */
  public static final String DEFAULT_ROUTING =
      "router/src/main/resources/routing/default-routing.yaml";

  /** Looks {@code expert} up in {@code routing}; the message names the known experts if absent. */
  public static ExpertModel forExpert(Path routing, String expert) throws IOException {
    Map<?, ?> root;
    try (Reader in = Files.newBufferedReader(routing)) {
      root = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
    }
    List<String> known = new ArrayList<>();
    if (root != null && root.get("experts") instanceof List<?> experts) {
      for (Object e : experts) {
        if (e instanceof Map<?, ?> m && m.get("name") != null) {
          String name = m.get("name").toString();
          known.add(name);
          if (name.equals(expert)) {
            return of(expert, m.get("source"));
          }
        }
      }
    }
    throw new IllegalArgumentException(
        "no expert '"
            + expert
            + "' in "
            + routing
            + " (known: "
            + String.join(", ", known)
            + "); give --model FILE to profile any model under that name");
  }

  private static ExpertModel of(String expert, Object source) {
    if (!(source instanceof Map<?, ?> s)
        || !"embedded".equals(String.valueOf(s.get("type")))
        || s.get("model") == null) {
      throw new IllegalArgumentException(
          "expert '" + expert + "' is not served by the embedded engine; give --model FILE");
    }
    String model = s.get("model").toString();
    if (SyntheticModels.isSynthetic(model)) {
      return new ExpertModel(
          SyntheticModels.materialize(model, SyntheticModels.DEFAULT_CACHE), null);
    }
    Object tokenizer = s.get("tokenizer");
    return new ExpertModel(
        SharedModels.file(model),
        tokenizer == null ? null : SharedModels.file(tokenizer.toString()));
  }
}
