package dev.mcpsandbox.server.languages;

import java.util.List;
import java.util.Optional;

/**
 * The shared language suite's cases for Go, Rust, C and C++. The run-time errors are the ones each language
 * reports with a line of its own accord: a Go panic, a Rust panic, and for C and C++ a failed {@code assert}
 * (glibc names file and line; a crash by signal has no line to give).
 */
final class NativeCases {
    private NativeCases() {
    }

    static List<LanguageCase> cases() {
        return List.of(go(), rust(), c(), cpp());
    }

    private static LanguageCase go() {
        return new LanguageCase("go",
                """
                package main

                import "fmt"

                func main() {
                    fmt.Println("hello from go")
                }
                """,
                """
                package main

                import (
                    "bufio"
                    "fmt"
                    "os"
                    "strings"
                )

                func main() {
                    line, _ := bufio.NewReader(os.Stdin).ReadString('\\n')
                    fmt.Println(strings.ToUpper(strings.TrimRight(line, "\\n")))
                }
                """,
                """
                package main

                import "fmt"

                func main() {
                    var items []int
                    fmt.Println(items[5])
                }
                """, 7,
                """
                package main

                import "fmt"

                func main() {
                    fmt.Println("broken"
                }
                """, 6,
                """
                package main

                func main() {
                    for {
                    }
                }
                """,
                Optional.of("""
                        package main

                        import (
                            "fmt"
                            "os"
                            "os/exec"
                        )

                        func main() {
                            out, err := exec.Command("tool", "everything.echo", `{"message": "from go"}`).Output()
                            if err != nil {
                                fmt.Fprintln(os.Stderr, err)
                                os.Exit(1)
                            }
                            fmt.Print(string(out))
                        }
                        """));
    }

    private static LanguageCase rust() {
        return new LanguageCase("rust",
                """
                fn main() {
                    println!("hello from rust");
                }
                """,
                """
                use std::io;

                fn main() {
                    let mut line = String::new();
                    io::stdin().read_line(&mut line).unwrap();
                    println!("{}", line.trim_end().to_uppercase());
                }
                """,
                """
                fn main() {
                    let items: Vec<i32> = Vec::new();
                    let index = items.len() + 5;
                    println!("{}", items[index]);
                }
                """, 4,
                """
                fn main() {
                    let x = ;
                    println!("{}", x);
                }
                """, 2,
                """
                fn main() {
                    loop {}
                }
                """,
                Optional.of("""
                        use std::process::Command;

                        fn main() {
                            let out = Command::new("tool")
                                .args(["everything.echo", r#"{"message": "from rust"}"#])
                                .output()
                                .expect("tool runs");
                            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
                            print!("{}", String::from_utf8_lossy(&out.stdout));
                        }
                        """));
    }

    private static LanguageCase c() {
        return new LanguageCase("c",
                """
                #include <stdio.h>

                int main(void) {
                    printf("hello from c\\n");
                    return 0;
                }
                """,
                """
                #include <ctype.h>
                #include <stdio.h>

                int main(void) {
                    char line[256];
                    if (fgets(line, sizeof line, stdin) == NULL) return 1;
                    for (char *p = line; *p; p++) *p = (char) toupper((unsigned char) *p);
                    fputs(line, stdout);
                    return 0;
                }
                """,
                """
                #include <assert.h>
                #include <stdio.h>

                int main(int argc, char **argv) {
                    int items = argc - 1;
                    assert(items > 0);
                    printf("%s\\n", argv[1]);
                    return 0;
                }
                """, 6,
                """
                #include <stdio.h>

                int main(void) {
                    printf("broken\\n";
                    return 0;
                }
                """, 4,
                """
                int main(void) {
                    volatile unsigned long n = 0;
                    for (;;) n++;
                }
                """,
                Optional.of("""
                        #include <stdlib.h>

                        int main(void) {
                            int status = system("tool everything.echo '{\\"message\\": \\"from c\\"}'");
                            return status == 0 ? 0 : 1;
                        }
                        """));
    }

    private static LanguageCase cpp() {
        return new LanguageCase("cpp",
                """
                #include <iostream>

                int main() {
                    std::cout << "hello from cpp" << std::endl;
                }
                """,
                """
                #include <algorithm>
                #include <cctype>
                #include <iostream>
                #include <string>

                int main() {
                    std::string line;
                    std::getline(std::cin, line);
                    std::transform(line.begin(), line.end(), line.begin(), [](unsigned char c) { return std::toupper(c); });
                    std::cout << line << "\\n";
                }
                """,
                """
                #include <cassert>
                #include <vector>

                int main() {
                    std::vector<int> items;
                    assert(!items.empty());
                    return items.front();
                }
                """, 6,
                """
                #include <iostream>

                int main() {
                    std::cout << ("broken" << std::endl;
                }
                """, 4,
                """
                int main() {
                    volatile unsigned long n = 0;
                    for (;;) n++;
                }
                """,
                Optional.of("""
                        #include <array>
                        #include <cstdio>
                        #include <iostream>
                        #include <memory>

                        int main() {
                            std::unique_ptr<FILE, int (*)(FILE *)> pipe(
                                    popen("tool everything.echo '{\\"message\\": \\"from cpp\\"}'", "r"), pclose);
                            std::array<char, 256> buffer{};
                            while (pipe && fgets(buffer.data(), buffer.size(), pipe.get())) std::cout << buffer.data();
                            return pipe ? 0 : 1;
                        }
                        """));
    }
}
