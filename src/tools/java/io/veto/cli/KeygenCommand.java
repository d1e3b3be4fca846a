package io.veto.cli;

import io.veto.rule.RuleSigning;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code rules keygen DIR}: makes the Ed25519 key pair rule sets are signed with:
 * {@code rules-signing.key} (private, for whoever publishes) and {@code rules-public.key} (for
 * every TaskManager of the job). Never overwrites a key.
 */
@Command(
        name = "keygen",
        mixinStandardHelpOptions = true,
        versionProvider = VetoCli.Version.class,
        description = {
            "Make the key pair published rule sets are signed with: DIR/rules-signing.key (private: for publishers,",
            "VETO_RULES_SIGNING_KEY_FILE) and DIR/rules-public.key (for the job: VETO_RULES_PUBLIC_KEY_FILE)."
        })
final class KeygenCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "Where to write the two key files")
    Path dir;

    @Override
    public Integer call() {
        KeyFiles w =
                new KeyFiles(spec.commandLine().getOut(), spec.commandLine().getErr());
        return w.write(dir);
    }

    private record KeyFiles(PrintWriter out, PrintWriter err) {
        int write(Path dir) {
            Path priv = dir.resolve("rules-signing.key");
            Path pub = dir.resolve("rules-public.key");
            KeyPair pair = RuleSigning.generate();
            try {
                Files.createDirectories(dir);
                if (Files.exists(priv) || Files.exists(pub)) {
                    throw new FileAlreadyExistsException(Files.exists(priv) ? priv.toString() : pub.toString());
                }
                Path tmp = Files.createFile(
                        dir.resolve(".rules-signing.key.tmp"),
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(tmp, RuleSigning.pem(pair.getPrivate()));
                Files.move(tmp, priv);
                Files.writeString(pub, RuleSigning.pem(pair.getPublic()));
            } catch (FileAlreadyExistsException e) {
                err.println("not written: " + e.getFile() + " exists (a key is never overwritten)");
                err.flush();
                return VetoCli.PROBLEM;
            } catch (IOException | UnsupportedOperationException e) {
                err.println("cannot write the keys to " + dir + ": " + e.getMessage());
                err.flush();
                return VetoCli.PROBLEM;
            }
            out.println("private key (for publishers; keep it secret): " + priv);
            out.println("public key (for the job's TaskManagers):       " + pub);
            out.flush();
            return VetoCli.OK;
        }
    }
}
