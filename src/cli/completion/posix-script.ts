/**
 * The part of the bash and zsh completion scripts both shells run alike: the program's tables as
 * `case` functions, and the walk over the words typed so far that finds the command, counts its
 * arguments and keeps the options that say which stack is meant (for `stack __complete services`).
 */
import { CONTEXT_OPTIONS } from './tree.js';
import { shellQuote, type CompletionTables } from './tables.js';

/** How the generated script runs `stack` when the typed command is not a file (an alias, a function). */
export interface SelfCommand {
  /** Words of a command line that runs this `stack`: node and the CLI's script. */
  argv: readonly string[];
}

const q = shellQuote;

/** `case` branches printing words. */
function wordsCase(fn: string, table: ReadonlyMap<string, readonly { word: string }[]>): string {
  const branches = [...table].map(([path, offers]) => `    (${q(path)}) echo ${q(offers.map((o) => o.word).join(' '))} ;;`);
  return `${fn}() {\n  case $1 in\n${branches.join('\n')}\n  esac\n}`;
}

/** The tables and the walk, shared by bash and zsh (both read `[[ ]]`, `(( ))`, `case` with `(pattern)` and arrays by `+=`). */
export function posixCommon(tables: CompletionTables, self: SelfCommand): string {
  const values = tables.values
    .map((r) => `    (${r.path === '*' ? `*${q(`|${r.option}`)}` : q(`${r.path}|${r.option}`)}) echo ${q(r.kind)} ;;`)
    .join('\n');
  const args = tables.args
    .map((r) => {
      // if (( $2 == 0 )); then echo service; elif …; else echo any; fi — the else only for a variadic last argument.
      const fixed = r.variadic ? r.kinds.slice(0, -1) : r.kinds;
      const steps = fixed.map((k, i) => `${i === 0 ? 'if' : 'elif'} (( $2 == ${i} )); then echo ${q(k)}`);
      const last = r.variadic ? (steps.length ? `; else echo ${q(r.kinds.at(-1)!)}; fi` : `echo ${q(r.kinds.at(-1)!)}`) : '; fi';
      return `    (${q(r.path)}) ${steps.join('; ')}${last} ;;`;
    })
    .join('\n');
  const context = CONTEXT_OPTIONS.map(q).join('|');
  return `${wordsCase('_stack_subcommands', tables.subcommands)}

${wordsCase('_stack_options', tables.options)}

# What the value of option $2 of command $1 is; nothing when it takes none.
_stack_value_kind() {
  case "$1|$2" in
${values}
  esac
}

# What argument number $2 (from 0) of command $1 is.
_stack_arg_kind() {
  case $1 in
${args}
  esac
  return 0
}

_stack_self_argv=(${self.argv.map(q).join(' ')})
# Runs stack quietly: the command typed when it is a file, else the one that made this script.
_stack_run() {
  local found
  found=$(command -v -- "$_stack_typed" 2>/dev/null)
  if [[ $found == /* ]]; then "$found" "$@" 2>/dev/null
  else "\${_stack_self_argv[@]}" "$@" 2>/dev/null; fi
}

# Reads the words before the cursor (without the command name): sets _stack_cmd (the command path,
# e.g. "image save"), _stack_nargs (its arguments so far) and _stack_ctx (-f/-p/… and their values).
_stack_walk() {
  local w kind
  _stack_cmd='' _stack_nargs=0 _stack_ctx=() _stack_rest=0
  while (( $# > 0 )); do
    w=$1
    shift
    if (( _stack_rest )); then
      (( _stack_nargs++ ))
      continue
    fi
    case $w in
      (--) _stack_rest=1 ;;
      (-*=*) case \${w%%=*} in (${context}) _stack_ctx+=("$w") ;; esac ;;
      (-?*)
        kind=$(_stack_value_kind "$_stack_cmd" "$w")
        if [[ -n $kind ]]; then
          case $w in (${context}) _stack_ctx+=("$w" "$1") ;; esac
          (( $# > 0 )) && shift
        fi ;;
      (*)
        if [[ -z $_stack_cmd ]]; then _stack_cmd=$w
        elif (( _stack_nargs == 0 )) && [[ " $(_stack_subcommands "$_stack_cmd") " == *" $w "* ]]; then _stack_cmd="$_stack_cmd $w"
        else
          (( _stack_nargs++ ))
          [[ $(_stack_arg_kind "$_stack_cmd" "$_stack_nargs") == rest ]] && _stack_rest=1
        fi ;;
    esac
  done
  return 0
}

# What the word at the cursor ($2, after $1) completes to: sets _stack_want (file, dir, words, none) and
# _stack_words; _stack_from names the table the words came from (options, subcommands), for descriptions.
_stack_candidates() {
  local prev=$1 cur=$2 kind=''
  _stack_want=words _stack_words='' _stack_from=''
  if [[ $prev == -?* && $cur != -* ]] && (( ! _stack_rest )); then kind=$(_stack_value_kind "$_stack_cmd" "$prev"); fi
  if [[ -z $kind ]]; then
    if [[ $cur == -* ]] && (( ! _stack_rest )); then
      _stack_words="$(_stack_options "$_stack_cmd") $(_stack_options '')" _stack_from=options
      return 0
    fi
    if [[ -z $_stack_cmd ]]; then
      _stack_words=$(_stack_subcommands '') _stack_from=subcommands
      return 0
    fi
    if (( _stack_nargs == 0 )) && [[ -n $(_stack_subcommands "$_stack_cmd") ]]; then
      _stack_words=$(_stack_subcommands "$_stack_cmd") _stack_from=subcommands
      return 0
    fi
    kind=$(_stack_arg_kind "$_stack_cmd" "$_stack_nargs")
  fi
  case $kind in
    (file) _stack_want=file ;;
    (dir) _stack_want=dir ;;
    (service) _stack_words=$(_stack_run "\${_stack_ctx[@]}" __complete services) ;;
    (project) _stack_words=$(_stack_run __complete projects) ;;
    (command) _stack_words=$(_stack_subcommands '') ;;
    (choice\\ *) _stack_words=\${kind#choice } ;;
    (*) _stack_want=none ;;
  esac
  return 0
}`;
}
