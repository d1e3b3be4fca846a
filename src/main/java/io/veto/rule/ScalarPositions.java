package io.veto.rule;

import org.yaml.snakeyaml.DumperOptions.ScalarStyle;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * Maps an offset inside a YAML scalar's value back to the line and column where the analyst wrote
 * that character. YAML changes a value on the way in: quotes and escapes disappear, a folded block
 * ({@code when: >-}) or a multi-line plain scalar turns line breaks into spaces, and continuation
 * lines lose their indentation. So the value is walked alongside the raw text, skipping what YAML
 * removed, instead of adding offsets to the scalar's start (which is only right for a one-line
 * plain scalar).
 */
final class ScalarPositions {
    private final String raw;
    private final String value;
    private final int start;
    private final boolean block;
    private final int blockIndent;
    private final int fallbackLine;
    private final int fallbackColumn;

    ScalarPositions(String fileText, ScalarNode node) {
        this.raw = fileText;
        this.value = node.getValue();
        this.fallbackLine = node.getStartMark().getLine() + 1;
        this.fallbackColumn = node.getStartMark().getColumn() + 1;
        ScalarStyle style = node.getScalarStyle();
        this.block = style == ScalarStyle.LITERAL || style == ScalarStyle.FOLDED;
        int s = node.getStartMark().getIndex();
        if (block) {
            // The value starts on the line after the indicator (>-, |, |+ ...).
            int nl = fileText.indexOf('\n', s);
            s = nl < 0 ? fileText.length() : nl + 1;
        } else if (style == ScalarStyle.SINGLE_QUOTED || style == ScalarStyle.DOUBLE_QUOTED) {
            s++;
        }
        this.start = s;
        this.blockIndent = block ? firstContentIndent(fileText, s) : 0;
    }

    /** The 1-based line and column of the value's character at {@code offset} (or just after its end). */
    int[] lineColumn(int offset) {
        int p = locate(Math.max(0, Math.min(offset, value.length())));
        if (p < 0) {
            return new int[] {fallbackLine, fallbackColumn};
        }
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < p; i++) {
            if (raw.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        return new int[] {line, p - lineStart + 1};
    }

    /** The value's {@code line}th line (1-based) at {@code column} (0-based), as a parser reports it. */
    int[] lineColumn(int line, int column) {
        int offset = 0;
        for (int l = 1; l < line; l++) {
            int nl = value.indexOf('\n', offset);
            if (nl < 0) {
                break;
            }
            offset = nl + 1;
        }
        return lineColumn(offset + column);
    }

    /** Index into the raw text of the value's character at {@code target}; -1 when the walk loses its way. */
    private int locate(int target) {
        int p = start;
        boolean lineStart = block;
        for (int i = 0; i <= target; i++) {
            if (i == value.length()) {
                return p <= raw.length() ? p : -1;
            }
            char c = value.charAt(i);
            while (true) {
                if (p >= raw.length()) {
                    return -1;
                }
                if (lineStart) {
                    p = skipIndent(p);
                    lineStart = false;
                    if (p >= raw.length()) {
                        return -1;
                    }
                }
                char r = raw.charAt(p);
                if (r == c) {
                    if (i == target) {
                        return p;
                    }
                    p++;
                    if (r == '\n') {
                        lineStart = true;
                    }
                    break;
                }
                if (r == '\n') {
                    if (c == ' ') {
                        // A folded line break: the space in the value stands for the end of this line.
                        if (i == target) {
                            return p;
                        }
                        p++;
                        lineStart = true;
                        break;
                    }
                    p++;
                    lineStart = true;
                    continue;
                }
                // Something YAML removed: a quote's escape backslash, trailing blanks, a carriage return.
                p++;
            }
        }
        return -1;
    }

    private int skipIndent(int p) {
        int n = 0;
        while (p < raw.length() && (raw.charAt(p) == ' ' || raw.charAt(p) == '\t') && (!block || n < blockIndent)) {
            p++;
            n++;
        }
        return p;
    }

    private static int firstContentIndent(String text, int from) {
        int p = from;
        while (p < text.length()) {
            int n = 0;
            while (p + n < text.length() && text.charAt(p + n) == ' ') {
                n++;
            }
            if (p + n < text.length() && text.charAt(p + n) != '\n' && text.charAt(p + n) != '\r') {
                return n;
            }
            int nl = text.indexOf('\n', p);
            if (nl < 0) {
                return n;
            }
            p = nl + 1;
        }
        return 0;
    }
}
