package dev.coemesh.gateway.orchestrate;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.gateway.serve.ExpertPool;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The experts this gateway serves, by id, in the order given. Immutable. */
public final class ExpertDirectory {
  private final Map<ExpertId, ExpertPool> pools;

  public ExpertDirectory(List<? extends ExpertPool> pools) {
    Map<ExpertId, ExpertPool> byId = new LinkedHashMap<>();
    for (ExpertPool p : pools) {
      if (byId.putIfAbsent(p.expert(), p) != null) {
        throw new IllegalArgumentException("expert " + p.expert() + " is configured twice");
      }
    }
    this.pools = Collections.unmodifiableMap(byId);
  }

  /** The pool of {@code expert}, or null when it is not served here. */
  public ExpertPool get(ExpertId expert) {
    return pools.get(expert);
  }

  public Collection<ExpertPool> all() {
    return pools.values();
  }
}
