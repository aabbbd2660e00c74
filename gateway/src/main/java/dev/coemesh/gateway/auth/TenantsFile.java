package dev.coemesh.gateway.auth;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.tenant.Priority;
import dev.coemesh.core.tenant.Tenant;
import dev.coemesh.core.tenant.TenantId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * The tenants file ({@code mesh.auth.tenants-file}, YAML or JSON): tenants with the SHA-256 digests
 * of their keys (several while a key is rotated) and limits, and the inference objectives a request
 * may name. Plain keys are never accepted, only digests ({@code printf %s "$KEY" | sha256sum}).
 *
 * <pre>
 * tenants:
 *   acme:
 *     key-sha256: [&lt;64 hex&gt;, &lt;64 hex&gt;]   # or one digest as a single value
 *     weight: 2
 *     max-queued: 256
 *     max-concurrent: 16
 *     tokens-per-minute: 0
 *     requests-per-minute: 0
 *     when-limits-unavailable: fail-open
 *     default-priority: interactive        # or batch
 * objectives:                              # x-gateway-inference-objective: NAME
 *   chat: {priority: 10}
 *   nightly-eval: {priority: -1}           # below 0: batch
 * </pre>
 *
 * Every error names the file, the tenant or objective and the field.
 *
 * @param tenants in file order
 * @param objectives inference objectives by name: their integer priority (higher is more important)
 */
public record TenantsFile(List<Entry> tenants, Map<String, Integer> objectives) {
  /**
   * Defaults of a tenant's fields, shared with {@code mesh.auth.tenants.*} ({@link AuthConfig}).
   */
  static final String DEFAULT_WEIGHT = "1";

  static final String DEFAULT_MAX_QUEUED = "256";
  static final String DEFAULT_MAX_CONCURRENT = "16";
  static final String DEFAULT_PER_MINUTE = "0";
  static final String DEFAULT_WHEN_LIMITS_UNAVAILABLE = "fail-open";

  private static final int MAX_FILE_BYTES = 4 << 20;
  private static final Pattern OBJECTIVE_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
  private static final Set<String> TOP = Set.of("tenants", "objectives");
  private static final Set<String> TENANT_FIELDS =
      Set.of(
          "key-sha256",
          "weight",
          "max-queued",
          "max-concurrent",
          "tokens-per-minute",
          "requests-per-minute",
          "when-limits-unavailable",
          "default-priority");

  /**
   * One tenant of the file.
   *
   * @param keyDigests SHA-256 digests of its keys; empty for a tenant that only sets limits (the
   *     {@code mesh.auth.api-key} tenant)
   * @param defaultPriority for its requests that name none
   */
  public record Entry(Tenant tenant, List<byte[]> keyDigests, Priority defaultPriority) {
    public Entry {
      keyDigests = List.copyOf(keyDigests);
    }
  }

  public TenantsFile {
    tenants = List.copyOf(tenants);
    objectives = Map.copyOf(objectives);
  }

  /** Reads and validates {@code file}; throws {@code CONFIG_INVALID} naming what is wrong. */
  public static TenantsFile load(Path file) {
    try {
      if (Files.size(file) > MAX_FILE_BYTES) {
        throw invalid(file + ": larger than " + MAX_FILE_BYTES + " bytes");
      }
      return parse(file.getFileName().toString(), Files.readString(file));
    } catch (IOException e) {
      throw new MeshException(
          ErrorCode.CONFIG_INVALID, file + ": cannot read: " + e.getMessage(), e);
    }
  }

  public static TenantsFile parse(String fileName, String text) {
    Object root;
    try {
      LoaderOptions options = new LoaderOptions();
      options.setAllowDuplicateKeys(false); // a tenant listed twice is a mistake, not an override
      options.setMaxAliasesForCollections(10);
      root = new Yaml(new SafeConstructor(options)).load(text);
    } catch (YAMLException e) {
      // snakeyaml's message spans lines (a snippet with a caret): one line reads better in logs
      throw invalid(
          fileName + ": not valid YAML: " + e.getMessage().strip().replaceAll("\\s*\\n\\s*", " "));
    }
    if (root == null) {
      throw invalid(fileName + ": the file is empty");
    }
    Map<String, Object> top = mapping(root, fileName, TOP);
    List<Entry> tenants = new ArrayList<>();
    mapping(top.getOrDefault("tenants", Map.of()), fileName + ": tenants", null)
        .forEach((id, fields) -> tenants.add(tenant(fileName, id, fields)));
    Map<String, Integer> objectives = new LinkedHashMap<>();
    mapping(top.getOrDefault("objectives", Map.of()), fileName + ": objectives", null)
        .forEach((name, fields) -> objectives.put(name, objective(fileName, name, fields)));
    return new TenantsFile(tenants, objectives);
  }

  private static Entry tenant(String fileName, String id, Object value) {
    String where = fileName + ": tenant '" + id + "'";
    TenantId tenantId;
    try {
      tenantId = new TenantId(id);
    } catch (IllegalArgumentException e) {
      throw invalid(where + ": " + e.getMessage());
    }
    Map<String, Object> f = mapping(value == null ? Map.of() : value, where, TENANT_FIELDS);
    List<byte[]> digests = new ArrayList<>();
    Object keys = f.get("key-sha256");
    for (Object key :
        keys instanceof List<?> list ? list : keys == null ? List.of() : List.of(keys)) {
      try {
        digests.add(ApiKeyHash.parseHex(key instanceof String s ? s : null, where));
      } catch (IllegalArgumentException e) {
        throw invalid(
            e.getMessage()
                + " (the file holds digests, never keys: printf %s \"$KEY\" | sha256sum)");
      }
    }
    double weight = number(f, "weight", DEFAULT_WEIGHT, where);
    if (!(weight > 0) || Double.isInfinite(weight)) {
      throw invalid(where + ": weight must be > 0, was " + weight);
    }
    Tenant tenant =
        new Tenant(
            tenantId,
            weight,
            (int) whole(f, "max-queued", DEFAULT_MAX_QUEUED, 0, Integer.MAX_VALUE, where),
            (int) whole(f, "max-concurrent", DEFAULT_MAX_CONCURRENT, 1, Integer.MAX_VALUE, where),
            whole(f, "tokens-per-minute", DEFAULT_PER_MINUTE, 0, Long.MAX_VALUE, where),
            whole(f, "requests-per-minute", DEFAULT_PER_MINUTE, 0, Long.MAX_VALUE, where),
            outage(f, where));
    String priority = text(f, "default-priority", Priority.INTERACTIVE.wireName(), where);
    Priority defaultPriority = Priority.parse(priority);
    if (defaultPriority == null) {
      throw invalid(
          where + ": default-priority must be interactive or batch, was '" + priority + "'");
    }
    return new Entry(tenant, digests, defaultPriority);
  }

  private static int objective(String fileName, String name, Object value) {
    String where = fileName + ": objective '" + name + "'";
    if (!OBJECTIVE_NAME.matcher(name).matches()) {
      throw invalid(where + ": the name must match " + OBJECTIVE_NAME.pattern());
    }
    Map<String, Object> f = mapping(value == null ? Map.of() : value, where, Set.of("priority"));
    // InferenceObjective: an unset priority is 0
    return (int) whole(f, "priority", "0", Integer.MIN_VALUE, Integer.MAX_VALUE, where);
  }

  private static Tenant.LimitStoreOutage outage(Map<String, Object> f, String where) {
    String v = text(f, "when-limits-unavailable", DEFAULT_WHEN_LIMITS_UNAVAILABLE, where);
    for (Tenant.LimitStoreOutage o : Tenant.LimitStoreOutage.values()) {
      if (o.name().toLowerCase(Locale.ROOT).replace('_', '-').equals(v)) {
        return o;
      }
    }
    throw invalid(
        where + ": when-limits-unavailable must be fail-open or fail-closed, was '" + v + "'");
  }

  /** A mapping with string keys; {@code allowed} null for any key (tenant ids, objective names). */
  private static Map<String, Object> mapping(Object value, String where, Set<String> allowed) {
    if (!(value instanceof Map<?, ?> map)) {
      throw invalid(where + ": must be a mapping");
    }
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String key = String.valueOf(e.getKey());
      if (allowed != null && !allowed.contains(key)) {
        throw invalid(
            where
                + ": "
                + key
                + ": unknown field (known: "
                + String.join(", ", allowed.stream().sorted().toList())
                + ")");
      }
      out.put(key, e.getValue());
    }
    return out;
  }

  private static String text(Map<String, Object> f, String field, String dflt, String where) {
    Object v = f.get(field);
    if (v == null) {
      return dflt;
    }
    if (v instanceof Map<?, ?> || v instanceof List<?>) {
      throw invalid(where + ": " + field + ": must be a single value");
    }
    return String.valueOf(v).strip().toLowerCase(Locale.ROOT);
  }

  private static double number(Map<String, Object> f, String field, String dflt, String where) {
    String v = text(f, field, dflt, where);
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw invalid(where + ": " + field + ": must be a number, was '" + v + "'");
    }
  }

  private static long whole(
      Map<String, Object> f, String field, String dflt, long min, long max, String where) {
    String v = text(f, field, dflt, where);
    long n;
    try {
      n = Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw invalid(where + ": " + field + ": must be a whole number, was '" + v + "'");
    }
    if (n < min || n > max) {
      throw invalid(
          where
              + ": "
              + field
              + (max >= Integer.MAX_VALUE
                  ? ": must be >= " + min
                  : ": must be in [" + min + ", " + max + "]")
              + ", was "
              + n);
    }
    return n;
  }

  private static MeshException invalid(String message) {
    return new MeshException(ErrorCode.CONFIG_INVALID, message);
  }
}
