package io.veto.rule;

/** One thing wrong with a rule set, where it is: {@code file:line:col: message}. */
public record RuleProblem(String file, int line, int column, String message) {
    @Override
    public String toString() {
        return file + ":" + line + ":" + column + ": " + message;
    }
}
