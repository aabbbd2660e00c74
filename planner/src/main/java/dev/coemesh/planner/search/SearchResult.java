package dev.coemesh.planner.search;

import java.util.List;

/** The chosen placement and the score of every candidate, in candidate order. */
public record SearchResult(PlacementScore best, List<PlacementScore> scores) {
  public SearchResult {
    scores = List.copyOf(scores);
  }
}
