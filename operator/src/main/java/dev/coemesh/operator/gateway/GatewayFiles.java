package dev.coemesh.operator.gateway;

import dev.coemesh.operator.expert.ExpertPlan;
import dev.coemesh.operator.expert.InvalidSpecException;
import dev.coemesh.operator.expert.ModelPlan.Download;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The model files every gateway pod downloads: the union of the https files of the Experts it
 * routes to. A gateway finds an expert's files by file name alone ({@code /models/FILE}, the name
 * the routing config gives), so one name must mean one file across the namespace: two Experts
 * downloading the same name from different URLs, or with different digests, cannot both be served
 * by the same gateways, and the later one is refused ({@code ModelFileConflict}). The same URL
 * named twice is one download, checked against the digest either Expert gives.
 */
public final class GatewayFiles {
  private final Map<String, Download> files = new LinkedHashMap<>();
  private final Map<String, String> namedBy = new LinkedHashMap<>();

  /** The files of {@code plans}, which were accepted together (no conflict among them). */
  public static List<Download> of(List<ExpertPlan> plans) {
    GatewayFiles files = new GatewayFiles();
    plans.forEach(files::add);
    return files.downloads();
  }

  /** Why {@code plan}'s files cannot join those added so far, or null when they can. */
  public InvalidSpecException conflict(ExpertPlan plan) {
    for (Download d : plan.model().downloads()) {
      Download known = files.get(d.file());
      if (known != null && merge(known, d) == null) {
        return new InvalidSpecException(
            "ModelFileConflict",
            "spec.model: the gateways load "
                + d.file()
                + " of Expert "
                + namedBy.get(d.file())
                + " from "
                + known.url()
                + " (sha256 "
                + known.sha256()
                + "); this Expert names another file of that name ("
                + d.url()
                + ", sha256 "
                + d.sha256()
                + ")");
      }
    }
    return null;
  }

  /** Adds the files of {@code plan}, which has no {@link #conflict}. */
  public void add(ExpertPlan plan) {
    for (Download d : plan.model().downloads()) {
      Download known = files.get(d.file());
      if (known == null) {
        files.put(d.file(), d);
        namedBy.put(d.file(), plan.name());
      } else {
        files.put(d.file(), merge(known, d));
      }
    }
  }

  /** By file name, so that the list depends on the set of Experts only. */
  public List<Download> downloads() {
    return new ArrayList<>(new TreeMap<>(files).values());
  }

  /** One download for both, or null when they are different files. */
  private static Download merge(Download a, Download b) {
    if (!a.url().equals(b.url())) {
      return null;
    }
    if (a.sha256().equals(b.sha256()) || b.sha256().equals("-")) {
      return a;
    }
    return a.sha256().equals("-") ? b : null;
  }
}
