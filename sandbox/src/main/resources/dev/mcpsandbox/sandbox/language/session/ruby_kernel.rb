# A session's persistent Ruby (installed at /opt/mcp-sandbox/session/ruby_kernel.rb; protocol: agent.py).
#
# Each call's file is evaluated in one top-level binding kept for the session, so locals, methods, classes,
# constants and requires persist. The value of the code (Ruby's: its last expression) is the call's result: JSON when
# it is made of hashes, arrays, strings, symbols, numbers, true and false, else its inspect string; nil gives none.
# An uncaught error prints as `ruby main.rb` prints it (the kernel's own frames cut) and ends the call with status
# 1; `exit n` ends it with n; SIGINT raises Interrupt in the running code and ends the call with 130. All three keep
# the state. `exit!` ends the kernel, so the next call starts fresh. Unlike a single-use run, `json` is loaded.
require 'json'

RESULT_LIMIT = 65_536

module McpKernel
  KERNEL_FILE = File.expand_path(__FILE__)

  module_function

  def jsonable?(value, depth = 0)
    return false if depth > 64
    case value
    when nil, true, false, String, Symbol, Integer then true
    when Float then value.finite?
    when Array then value.all? { |v| jsonable?(v, depth + 1) }
    when Hash then value.all? { |k, v| (k.is_a?(String) || k.is_a?(Symbol)) && jsonable?(v, depth + 1) }
    else false
    end
  end

  def result(value)
    text = jsonable?(value) ? JSON.generate(value) : JSON.generate(value.inspect)
    text = JSON.generate(value.inspect[0, RESULT_LIMIT] + '... (cut)') if text.length > RESULT_LIMIT
    text
  rescue StandardError, SystemStackError
    JSON.generate(Object.instance_method(:inspect).bind_call(value))
  end

  # The backtrace without the kernel's frames: the user's frames come first, the kernel's eval below them.
  def trimmed(error)
    trace = error.backtrace
    return if trace.nil?
    cut = trace.index { |line| line.start_with?(KERNEL_FILE + ':') }
    error.set_backtrace(trace[0...cut]) if cut
  end

  def print_error(error)
    if error.is_a?(SyntaxError)
      $stderr.puts error.message
    else
      trimmed(error)
      $stderr.write(error.full_message(highlight: false, order: :top))
    end
  end

  def use_stdin(path)
    $stdin.reopen(path == '-' ? File::NULL : path, 'r')
  end

  def flush
    [$stdout, $stderr].each do |stream|
      stream.flush
    rescue StandardError
      nil
    end
  end

  # One call: [exit status, result JSON or nil]. The code runs in the top-level binding, the session's state.
  def call(file, stdin)
    use_stdin(stdin)
    source = File.read(file)
    $0 = file
    begin
      trap('INT', 'DEFAULT') # Ruby's default: raise Interrupt in the running code
      value = TOPLEVEL_BINDING.eval(source, file, 1)
    ensure
      trap('INT', 'IGNORE')
    end
    [0, value.nil? ? nil : result(value)]
  rescue SystemExit => e
    [e.status & 0xFF, nil]
  rescue Interrupt => e
    print_error(e)
    [130, nil]
  rescue Exception => e # rubocop:disable Lint/RescueException -- the code's own error: reported, the kernel goes on
    print_error(e)
    [1, nil]
  end

  # Serves requests until the agent closes them; the loop's locals live here, not in the session's binding.
  def serve
    [3, 4].each { |fd| IO.for_fd(fd, autoclose: false).close_on_exec = true } # not for the code's children
    requests = IO.for_fd(3, 'rb', autoclose: false)
    replies = IO.for_fd(4, 'wb', autoclose: false)
    replies.sync = true
    $stdout.sync = true
    $stderr.sync = true
    trap('INT', 'IGNORE')
    replies.write("ready\n")
    while (line = requests.gets)
      id, file, stdin = line.chomp.split(' ', 3)
      code, result = begin
        call(file, stdin)
      rescue Interrupt # arrived between the code's end and the reply
        [130, nil]
      end
      flush
      replies.write("#{id} #{code}#{result.nil? ? '' : " #{result}"}\n")
    end
  end
end

McpKernel.serve
