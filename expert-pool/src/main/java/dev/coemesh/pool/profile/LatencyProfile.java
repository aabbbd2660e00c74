package dev.coemesh.pool.profile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A worker's latency profile (issue 17): prefill and decode step latency in DistServe's forms, the
 * model and machine it was measured on, and where the numbers come from. Stored as versioned JSON
 * (expert-pool/README.md, "Profiles"); {@link #read} rejects an unknown version or a missing field
 * with a message that names it.
 *
 * @param expert the expert the profile is for
 * @param model the model's file name or published name
 * @param modelSha256 SHA-256 of the model file; "" for published profiles
 * @param machine where it was measured
 * @param measuredAt ISO-8601 instant, or the publication for published profiles
 * @param source {@code measured} or {@code published: <citation>}
 */
public record LatencyProfile(
    String expert,
    String model,
    String modelSha256,
    Machine machine,
    String measuredAt,
    PhaseProfile prefill,
    PhaseProfile decode,
    String source) {
  public static final int VERSION = 1;
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /**
   * The machine a profile describes.
   *
   * @param cpus cores the JVM saw (0 when unknown, e.g. a GPU profile)
   * @param java the Java runtime version, or the accelerator for published profiles
   * @param threads engine worker threads
   */
  public record Machine(int cpus, String java, int threads) {}

  public LatencyProfile {
    for (String[] field :
        new String[][] {
          {"expert", expert}, {"model", model}, {"measured_at", measuredAt}, {"source", source}
        }) {
      if (field[1] == null || field[1].isBlank()) {
        throw new IllegalArgumentException("profile field '" + field[0] + "' is missing or empty");
      }
    }
    if (!source.equals("measured") && !source.startsWith("published: ")) {
      throw new IllegalArgumentException(
          "profile source must be 'measured' or 'published: <citation>', got '" + source + "'");
    }
    if (!PhaseProfile.PREFILL_FORM.equals(prefill.form())
        || !PhaseProfile.DECODE_FORM.equals(decode.form())) {
      throw new IllegalArgumentException("prefill and decode must use their own latency forms");
    }
    modelSha256 = modelSha256 == null ? "" : modelSha256;
  }

  public void write(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(file, toJson());
  }

  public String toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("version", VERSION);
    root.put("expert", expert);
    root.put("model", model);
    root.put("model_sha256", modelSha256);
    ObjectNode m = root.putObject("machine");
    m.put("cpus", machine.cpus());
    m.put("java", machine.java());
    m.put("threads", machine.threads());
    root.put("measured_at", measuredAt);
    root.set("prefill", phase(prefill));
    root.set("decode", phase(decode));
    root.put("source", source);
    try {
      return JSON.writeValueAsString(root) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException("a tree of plain values always serialises", e);
    }
  }

  private static ObjectNode phase(PhaseProfile p) {
    ObjectNode n = JSON.createObjectNode();
    n.put("form", p.form());
    n.put("a_ms", p.aMs());
    n.put("b_ms", p.bMs());
    n.put("c_ms", p.cMs());
    if (!Double.isNaN(p.r2())) {
      n.put("r2", p.r2());
    }
    ArrayNode points = n.putArray("points");
    for (PhaseProfile.Point point : p.points()) {
      ObjectNode o = points.addObject();
      o.put("batch", point.batch());
      ArrayNode lens = o.putArray("lens");
      for (int len : point.lens()) {
        lens.add(len);
      }
      o.put("ms", point.ms());
    }
    return n;
  }

  public static LatencyProfile read(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return read(in, file.toString());
    }
  }

  /** Reads a profile; {@code origin} names the file or resource in error messages. */
  public static LatencyProfile read(InputStream in, String origin) throws IOException {
    JsonNode root = JSON.readTree(in);
    try {
      return parse(root);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(origin + ": " + e.getMessage(), e);
    }
  }

  /** Reads a profile from a JSON string. */
  public static LatencyProfile parse(String json) throws IOException {
    return parse(JSON.readTree(json));
  }

  private static LatencyProfile parse(JsonNode root) {
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("a profile is a JSON object");
    }
    JsonNode version = field(root, "version");
    if (!version.canConvertToInt() || version.asInt() != VERSION) {
      throw new IllegalArgumentException(
          "unsupported profile version " + version + " (this build reads version " + VERSION + ")");
    }
    JsonNode m = field(root, "machine");
    Machine machine =
        new Machine(field(m, "cpus").asInt(), text(m, "java"), field(m, "threads").asInt());
    JsonNode sha = root.get("model_sha256");
    return new LatencyProfile(
        text(root, "expert"),
        text(root, "model"),
        sha == null ? "" : sha.asText(),
        machine,
        text(root, "measured_at"),
        phase(field(root, "prefill"), "prefill"),
        phase(field(root, "decode"), "decode"),
        text(root, "source"));
  }

  private static PhaseProfile phase(JsonNode n, String name) {
    List<PhaseProfile.Point> points = new ArrayList<>();
    JsonNode array = n.get("points");
    if (array != null) {
      for (JsonNode p : array) {
        JsonNode lensNode = field(p, "lens");
        int[] lens = new int[lensNode.size()];
        for (int i = 0; i < lens.length; i++) {
          lens[i] = lensNode.get(i).asInt();
        }
        if (lens.length == 0 || field(p, "batch").asInt() != lens.length) {
          throw new IllegalArgumentException(name + " point: batch must equal the number of lens");
        }
        points.add(new PhaseProfile.Point(lens, number(p, "ms")));
      }
    }
    JsonNode r2 = n.get("r2");
    return new PhaseProfile(
        text(n, "form"),
        number(n, "a_ms"),
        number(n, "b_ms"),
        number(n, "c_ms"),
        points,
        r2 == null ? Double.NaN : r2.asDouble());
  }

  private static JsonNode field(JsonNode n, String name) {
    JsonNode v = n.get(name);
    if (v == null || v.isNull()) {
      throw new IllegalArgumentException("profile field '" + name + "' is missing");
    }
    return v;
  }

  private static String text(JsonNode n, String name) {
    return field(n, name).asText();
  }

  private static double number(JsonNode n, String name) {
    JsonNode v = field(n, name);
    if (!v.isNumber()) {
      throw new IllegalArgumentException("profile field '" + name + "' must be a number");
    }
    return v.asDouble();
  }
}
