package dev.coemesh.operator.gateway;

import dev.coemesh.operator.expert.Hashes;
import dev.coemesh.operator.expert.ModelPlan;
import dev.coemesh.operator.expert.ModelPlan.Download;
import dev.coemesh.operator.routing.RoutingTable;
import java.util.List;

/**
 * What the gateways of a namespace need from the Experts they route to: the files their {@code
 * fetch-models} init container downloads ({@code models.txt} of ConfigMap {@value #CONFIG_MAP}),
 * and a digest of the expert set that only a restart can change.
 *
 * <p>A gateway starts its experts once and refuses a routing config reload that changes them
 * (names, modes, model and tokenizer files); routes, categories, thresholds and weights reload
 * live. So the digest covers exactly what it cannot reload (the routing config's experts, in
 * order), plus the download list (a file of the same name from a new URL is a new file only a new
 * pod fetches), and nothing a route change touches.
 *
 * @param downloads the https files of the served Experts, one per file name
 * @param expertsHash the digest the gateways' pod templates carry ({@link #EXPERTS_HASH})
 */
public record GatewayModels(List<Download> downloads, String expertsHash) {
  public static final String CONFIG_MAP = "coemesh-gateway-models";
  public static final String KEY = "models.txt";

  /** On a gateway's pod template: its change rolls the gateway's pods. */
  public static final String EXPERTS_HASH = "coemesh.dev/experts-hash";

  public GatewayModels {
    downloads = List.copyOf(downloads);
  }

  /** For the Experts the routing config {@code table} routes to. */
  public static GatewayModels of(RoutingTable.Result table) {
    List<Download> downloads = GatewayFiles.of(table.accepted());
    // the experts exactly as a gateway compares them (names, modes, files, and what the base adds:
    // costs, context lengths), records all the way down, so their text is their value
    String set = table.experts() + "\n" + ModelPlan.modelsTxt(downloads);
    return new GatewayModels(downloads, Hashes.of(set));
  }

  public String modelsTxt() {
    return ModelPlan.modelsTxt(downloads);
  }
}
