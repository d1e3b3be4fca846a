package io.veto.rule;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The job's answer to a published rule set, on the rules-status topic (key = rule-set name):
 * APPLIED once every decision subtask uses it, or REJECTED with the problems (the previous rule set
 * stays active).
 */
public record RuleStatus(String name, String version, State state, List<String> problems, int subtasks, long at) {
    public enum State {
        APPLIED,
        REJECTED
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    public byte[] toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("name", name);
        n.put("version", version);
        n.put("status", state.name());
        problems.forEach(n.putArray("problems")::add);
        n.put("subtasks", subtasks);
        n.put("at", Instant.ofEpochMilli(at).toString());
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static RuleStatus fromJson(byte[] bytes) {
        try {
            JsonNode n = JSON.readTree(bytes);
            List<String> problems = new ArrayList<>();
            n.path("problems").forEach(p -> problems.add(p.asText()));
            return new RuleStatus(
                    n.path("name").asText(),
                    n.path("version").asText(),
                    State.valueOf(n.path("status").asText()),
                    problems,
                    n.path("subtasks").asInt(),
                    Instant.parse(n.path("at").asText()).toEpochMilli());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
