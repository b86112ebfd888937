#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writes to stdout and stderr the way `bao`'s UI does.
enum Console {
    /// Prints a line to stdout.
    static func out(_ text: String) {
        print(text)
    }

    /// Prints text to stdout without a trailing newline.
    static func raw(_ text: String) {
        print(text, terminator: "")
    }

    /// Prints a line to stderr.
    static func error(_ text: String) {
        fflush(nil)
        writeStderr(text + "\n")
    }

    /// `true` when stdout is a terminal.
    static var stdoutIsTerminal: Bool { isatty(1) == 1 }

    /// `true` when stdin is a terminal.
    static var stdinIsTerminal: Bool { isatty(0) == 1 }

    /// Reads all of stdin as text.
    static func readStdin() -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(0, &buffer, buffer.count)
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Prompts on the terminal and reads a line without echoing it.
    static func readSecret(prompt: String) -> String? {
        writeStderr(prompt)
        var old = termios()
        let haveTerminal = tcgetattr(0, &old) == 0
        if haveTerminal {
            var silent = old
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(0, TCSANOW, &silent)
        }
        defer {
            if haveTerminal {
                tcsetattr(0, TCSANOW, &old)
                writeStderr("\n")
            }
        }
        return readLine(strippingNewline: true)
    }

    /// Writes text to stderr unbuffered.
    static func writeStderr(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Ends the process with `code`, flushing stdout first.
    static func exit(_ code: Int32) -> Never {
        fflush(nil)
        #if canImport(Glibc)
        Glibc.exit(code)
        #elseif canImport(Musl)
        Musl.exit(code)
        #else
        Darwin.exit(code)
        #endif
    }
}
