package dev.mcpsandbox.server.languages;

import java.util.List;
import java.util.Optional;

/** The shared language suite's cases for Java, TypeScript and Ruby. */
final class JvmAndScriptCases {
    private JvmAndScriptCases() {
    }

    static List<LanguageCase> cases() {
        return List.of(
                new LanguageCase("java",
                        """
                        public class Main {
                            public static void main(String[] args) {
                                System.out.println("hello from java");
                            }
                        }
                        """,
                        """
                        import java.io.BufferedReader;
                        import java.io.InputStreamReader;

                        public class Main {
                            public static void main(String[] args) throws Exception {
                                BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
                                System.out.println(in.readLine().toUpperCase());
                            }
                        }
                        """,
                        """
                        public class Main {
                            static void fail() {
                                throw new IllegalStateException("boom");
                            }

                            public static void main(String[] args) {
                                fail();
                            }
                        }
                        """, 3,
                        """
                        public class Main {
                            public static void main(String[] args) {
                                int x = 1
                                System.out.println(x);
                            }
                        }
                        """, 3,
                        """
                        public class Main {
                            public static void main(String[] args) {
                                long n = 0;
                                while (true) {
                                    n++;
                                }
                            }
                        }
                        """,
                        Optional.of("""
                        public class Main {
                            public static void main(String[] args) throws Exception {
                                Process p = new ProcessBuilder("tool", "everything.echo", "{\\"message\\": \\"from java\\"}")
                                        .redirectErrorStream(true).start();
                                System.out.print(new String(p.getInputStream().readAllBytes()));
                                System.exit(p.waitFor());
                            }
                        }
                        """)),
                new LanguageCase("typescript",
                        """
                        const who: string = 'typescript';
                        console.log(`hello from ${who}`);
                        """,
                        """
                        import { readFileSync } from 'node:fs';
                        const line: string = readFileSync(0, 'utf8').split('\\n')[0];
                        console.log(line.toUpperCase());
                        """,
                        """
                        function fail(limit: number): never {
                          throw new RangeError(`over ${limit}`);
                        }
                        fail(3);
                        """, 2,
                        """
                        const count: number = 1;
                        const label: string = count;
                        console.log(label);
                        """, 2,
                        """
                        let n: number = 0;
                        for (;;) {
                          n++;
                        }
                        """,
                        Optional.of("""
                        import { execFileSync } from 'node:child_process';
                        process.stdout.write(execFileSync('tool', ['everything.echo', '{"message": "from typescript"}'],
                          { encoding: 'utf8' }));
                        """)),
                new LanguageCase("ruby",
                        "puts 'hello from ruby'\n",
                        "puts $stdin.gets.upcase\n",
                        """
                        def check
                          raise ArgumentError, 'boom'
                        end
                        check
                        """, 2,
                        """
                        def greet(name)
                          puts(name
                        end
                        """, 3,
                        "loop { }\n",
                        Optional.of("print `tool everything.echo '{\"message\": \"from ruby\"}'`\nexit $?.exitstatus\n")));
    }
}
