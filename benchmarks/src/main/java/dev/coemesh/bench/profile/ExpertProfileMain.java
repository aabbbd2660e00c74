package dev.coemesh.bench.profile;

import dev.coemesh.pool.profile.ProfileMain;
import dev.coemesh.router.config.RoutingConfigLoader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code ./mesh profile EXPERT [--routing FILE] [ProfileMain's options]}: {@link ProfileMain} on
 * the model the routing config (the shipped default, or {@code --routing}) gives the expert, unless
 * {@code --model} names one. Here, beside the router, so that the config is read by its loader.
 */
public final class ExpertProfileMain {
  private ExpertProfileMain() {}

  public static void main(String[] argv) throws IOException {
    List<String> args = new ArrayList<>(Arrays.asList(argv));
    String routing = take(args, "--routing");
    if (!args.isEmpty() && !args.getFirst().startsWith("--") && !args.contains("--model")) {
      try {
        ExpertModel files =
            ExpertModel.forExpert(RoutingConfigLoader.load(routing), args.getFirst());
        args.addAll(List.of("--model", files.model().toString()));
        if (files.tokenizer() != null && !args.contains("--tokenizer")) {
          args.addAll(List.of("--tokenizer", files.tokenizer().toString()));
        }
      } catch (IllegalArgumentException e) {
        System.err.println("profile: " + e.getMessage());
        System.exit(2);
      }
    }
    ProfileMain.main(args.toArray(String[]::new));
  }

  /** Removes {@code option} and its value from {@code args}; its value, or null. */
  private static String take(List<String> args, String option) {
    int i = args.indexOf(option);
    if (i < 0 || i + 1 >= args.size()) {
      return null;
    }
    String value = args.get(i + 1);
    args.subList(i, i + 2).clear();
    return value;
  }
}
