package io.veto.rule;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The wire form of a rule set on the rules topic (key = rule-set name):
 * {@code {"name": "default", "version": "default@3f2a9c1b04de", "files": {"ruleset.yaml": "...", ...}}}.
 * The version is informative; the receiver recomputes it from the files and refuses a mismatch,
 * which catches a record that was edited or cut on the way. A published set also carries
 * {@code "signature"} ({@link RuleSigning}), which the job checks before anything else.
 */
public final class RuleSetCodec {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RuleSetCodec() {}

    /** A rule set with the signature it was published with (null when it had none). */
    public record Published(RuleSet ruleSet, String signature) {}

    public static byte[] encode(RuleSet rs) {
        return encode(rs, null);
    }

    /** The wire form with {@code signature} (base64, see {@link RuleSigning}); none when null. */
    public static byte[] encode(RuleSet rs, String signature) {
        ObjectNode n = JSON.createObjectNode();
        n.put("name", rs.name());
        n.put("version", rs.version());
        ObjectNode files = n.putObject("files");
        rs.files().forEach(files::put);
        if (signature != null) {
            n.put("signature", signature);
        }
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Decodes a published rule set; the message of the exception says what is wrong with it. */
    public static RuleSet decode(byte[] bytes) throws RuleSetException {
        return decodePublished(bytes).ruleSet();
    }

    /** Decodes a published rule set and its signature, if any; see {@link #decode}. */
    public static Published decodePublished(byte[] bytes) throws RuleSetException {
        try {
            JsonNode n = JSON.readTree(bytes);
            if (n == null
                    || !n.isObject()
                    || !n.path("name").isTextual()
                    || !n.path("files").isObject()) {
                throw problem("a published rule set must be a JSON object with 'name' and 'files'");
            }
            Map<String, String> files = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = n.get("files").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                if (!f.getValue().isTextual()) {
                    throw problem("file '" + f.getKey() + "' must be text");
                }
                files.put(f.getKey(), f.getValue().textValue());
            }
            RuleSet rs = new RuleSet(n.get("name").textValue(), new TreeMap<>(files));
            String claimed = n.path("version").asText(null);
            if (claimed != null && !claimed.equals(rs.version())) {
                throw problem("version " + claimed + " does not match the files' content (" + rs.version() + ")");
            }
            JsonNode sig = n.get("signature");
            if (sig != null && !sig.isTextual()) {
                throw problem("'signature' must be text");
            }
            return new Published(rs, sig == null ? null : sig.textValue());
        } catch (JsonProcessingException e) {
            throw problem("a published rule set must be JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw problem("unreadable rule set: " + e.getMessage());
        }
    }

    private static RuleSetException problem(String message) {
        return new RuleSetException(List.of(new RuleProblem("<published>", 1, 1, message)));
    }
}
