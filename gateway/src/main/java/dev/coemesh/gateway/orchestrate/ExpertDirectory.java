package dev.coemesh.gateway.orchestrate;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.spi.ExpertBackend;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The experts this gateway serves, by id, in the order given. Immutable. */
public final class ExpertDirectory {
  private final Map<ExpertId, ExpertBackend> backends;

  public ExpertDirectory(List<ExpertBackend> backends) {
    Map<ExpertId, ExpertBackend> byId = new LinkedHashMap<>();
    for (ExpertBackend b : backends) {
      if (byId.putIfAbsent(b.expert(), b) != null) {
        throw new IllegalArgumentException("expert " + b.expert() + " is configured twice");
      }
    }
    this.backends = java.util.Collections.unmodifiableMap(byId);
  }

  /** The backend of {@code expert}, or null when it is not served here. */
  public ExpertBackend get(ExpertId expert) {
    return backends.get(expert);
  }

  public Collection<ExpertBackend> all() {
    return backends.values();
  }
}
