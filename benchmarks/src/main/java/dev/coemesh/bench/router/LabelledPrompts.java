package dev.coemesh.bench.router;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * An evaluation dataset: JSON lines {@code {"prompt": ..., "category": ...}}; blank lines are
 * skipped. Errors name the file and line.
 */
public record LabelledPrompts(List<Item> items) {
  public static final String DEFAULT_RESOURCE = "routing/eval-dataset.jsonl";

  public record Item(String prompt, String category) {}

  public LabelledPrompts {
    items = List.copyOf(items);
  }

  public static LabelledPrompts load(Path file, Set<String> categories) {
    try {
      return parse(file.toString(), Files.readString(file), categories);
    } catch (IOException e) {
      throw new MeshException(ErrorCode.INVALID_REQUEST, file + ": cannot read: " + e.getMessage());
    }
  }

  public static LabelledPrompts loadDefault(Set<String> categories) {
    try (InputStream in =
        LabelledPrompts.class.getClassLoader().getResourceAsStream(DEFAULT_RESOURCE)) {
      if (in == null) {
        throw new MeshException(ErrorCode.INVALID_REQUEST, DEFAULT_RESOURCE + ": not found");
      }
      return parse(
          DEFAULT_RESOURCE, new String(in.readAllBytes(), StandardCharsets.UTF_8), categories);
    } catch (IOException e) {
      throw new MeshException(ErrorCode.INVALID_REQUEST, DEFAULT_RESOURCE + ": " + e.getMessage());
    }
  }

  /**
   * @param categories the config's categories; a label outside them is an error
   */
  public static LabelledPrompts parse(String name, String text, Set<String> categories) {
    ObjectMapper json = new ObjectMapper();
    List<Item> items = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty()) {
        continue;
      }
      String where = name + ":" + (i + 1) + ": ";
      JsonNode node;
      try {
        node = json.readTree(line);
      } catch (JsonProcessingException e) {
        throw new MeshException(
            ErrorCode.INVALID_REQUEST, where + "not JSON: " + e.getOriginalMessage());
      }
      JsonNode prompt = node.get("prompt");
      JsonNode category = node.get("category");
      if (prompt == null || !prompt.isTextual() || prompt.asText().isBlank()) {
        throw new MeshException(ErrorCode.INVALID_REQUEST, where + "prompt: a non-empty string");
      }
      if (category == null || !category.isTextual()) {
        throw new MeshException(ErrorCode.INVALID_REQUEST, where + "category: a string");
      }
      if (!categories.contains(category.asText())) {
        throw new MeshException(
            ErrorCode.INVALID_REQUEST,
            where + "category: '" + category.asText() + "' is not in the config " + categories);
      }
      items.add(new Item(prompt.asText(), category.asText()));
    }
    if (items.isEmpty()) {
      throw new MeshException(ErrorCode.INVALID_REQUEST, name + ": no labelled prompts");
    }
    return new LabelledPrompts(items);
  }
}
