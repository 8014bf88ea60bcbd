import { keywordType, startsPhrase } from './keywords.js'
import { SqliToken, T, TOKEN_SIZE, isArithmeticOp, isUnaryOp, tokenIs, type SqliState } from './sqli-tokenizer.js'

/**
 * libinjection's folding (libinjection_sqli_fold): tokens are read and reduced ("1+1" to "1",
 * "UNION ALL" to one token, unary operators dropped ...) until at most five remain, the
 * fingerprint's tokens, left in state.tokens. Returns their count.
 */

const MAX_TOKENS = 5

const lastComment = new SqliToken()
const merged = new Uint8Array(TOKEN_SIZE)

/** Words that act as functions when a '(' follows them. */
const FUNCTION_WORDS = [
  'USER_ID', 'USER_NAME', 'DATABASE', 'PASSWORD', 'USER', 'CURRENT_USER', 'CURRENT_DATE', 'CURRENT_TIME',
  'CURRENT_TIMESTAMP', 'LOCALTIME', 'LOCALTIMESTAMP'
]

function isFunctionWord (t: SqliToken): boolean {
  for (const w of FUNCTION_WORDS) if (tokenIs(t, w)) return true
  return false
}

/** Token types (character codes) that can start a merge (bit 1) and end one (bit 2), as syntax_merge_words tests them. */
const MERGES = new Uint8Array(256)
for (const t of [T.KEYWORD, T.BAREWORD, T.OPERATOR, T.UNION, T.FUNCTION, T.EXPRESSION, T.TSQL, T.SQLTYPE]) MERGES[t] = 3
MERGES[T.LOGIC_OPERATOR] = 2

/** "UNION" + "ALL" into "UNION ALL" when the phrase is a keyword (syntax_merge_words). */
function mergeWords (a: SqliToken, b: SqliToken): boolean {
  // one table load per token instead of up to nine comparisons (mergeWords was 16% of detectSQLi's self time)
  if ((MERGES[a.type]! & 1) === 0 || (MERGES[b.type]! & 2) === 0) return false
  const sz1 = a.len
  const sz2 = b.len
  const sz3 = sz1 + sz2 + 1
  if (sz3 >= TOKEN_SIZE) return false
  // only a word some keyword starts with ("UNION" of "UNION ALL") can merge: skip building the rest
  if (!startsPhrase(a.val, 0, sz1)) return false
  for (let i = 0; i < sz1; i++) merged[i] = a.val[i]!
  merged[sz1] = 0x20
  for (let i = 0; i < sz2; i++) merged[sz1 + 1 + i] = b.val[i]!
  merged[sz3] = 0
  const type = keywordType(merged, 0, sz3)
  if (type === 0) return false
  a.assign(type, a.pos, sz3, merged, 0)
  return true
}

function hasUnderscore (t: SqliToken): boolean {
  for (let i = 0; i < TOKEN_SIZE && t.val[i] !== 0; i++) if (t.val[i] === 0x5f) return true
  return false
}

/** Whether the last readTokens call left input to read. */
let moreInput = true

/**
 * Tokenizes into v[pos], v[pos + 1] ... until `until` tokens are there (or six, or the input
 * ends); a comment is kept aside in lastComment, not counted. Returns the new pos.
 */
function readTokens (sf: SqliState, pos: number, until: number): number {
  moreInput = true
  while (moreInput && pos <= MAX_TOKENS && pos < until) {
    sf.current = sf.tokens[pos]!
    moreInput = sf.tokenize()
    if (moreInput) {
      if (sf.current.type === T.COMMENT) lastComment.copyFrom(sf.current)
      else {
        lastComment.type = 0
        pos += 1
      }
    }
  }
  return pos
}

export function fold (sf: SqliState): number {
  const v = sf.tokens
  let pos = 0 // where the next token goes
  let left = 0 // how many tokens are folded already
  let more = true
  lastComment.clear()

  // Skip initial comments, left parentheses, SQL types and unary operators.
  sf.current = v[0]!
  while (more) {
    more = sf.tokenize()
    const c = sf.current
    if (!(c.type === T.COMMENT || c.type === T.LEFTPARENS || c.type === T.SQLTYPE || isUnaryOp(c))) break
  }
  if (!more) return 0
  pos += 1

  for (;;) {
    // With five tokens, some special cases of five.
    if (pos >= MAX_TOKENS) {
      const t0 = v[0]!.type
      const t1 = v[1]!.type
      const t2 = v[2]!.type
      const t3 = v[3]!.type
      const t4 = v[4]!.type
      if ((t0 === T.NUMBER && (t1 === T.OPERATOR || t1 === T.COMMA) && t2 === T.LEFTPARENS && t3 === T.NUMBER && t4 === T.RIGHTPARENS) ||
        (t0 === T.BAREWORD && t1 === T.OPERATOR && t2 === T.LEFTPARENS && (t3 === T.BAREWORD || t3 === T.NUMBER) && t4 === T.RIGHTPARENS) ||
        (t0 === T.NUMBER && t1 === T.RIGHTPARENS && t2 === T.COMMA && t3 === T.LEFTPARENS && t4 === T.NUMBER) ||
        (t0 === T.BAREWORD && t1 === T.RIGHTPARENS && t2 === T.OPERATOR && t3 === T.LEFTPARENS && t4 === T.BAREWORD)) {
        if (pos > MAX_TOKENS) {
          v[1]!.copyFrom(v[MAX_TOKENS]!)
          pos = 2
          left = 0
        } else {
          pos = 1
          left = 0
        }
      }
    }

    if (!more || left >= MAX_TOKENS) {
      left = pos
      break
    }

    // Get up to two tokens.
    if (more) {
      pos = readTokens(sf, pos, left + 2)
      more = moreInput
    }
    if (pos - left < 2) {
      left = pos
      continue
    }

    const a = v[left]!
    const b = v[left + 1]!
    if (a.type === T.STRING && b.type === T.STRING) {
      pos -= 1 // "foo" "bar" is one string
      sf.statsFolds += 1
      continue
    } else if (a.type === T.SEMICOLON && b.type === T.SEMICOLON) {
      pos -= 1
      sf.statsFolds += 1
      continue
    } else if ((a.type === T.OPERATOR || a.type === T.LOGIC_OPERATOR) && (isUnaryOp(b) || b.type === T.SQLTYPE)) {
      pos -= 1
      sf.statsFolds += 1
      left = 0
      continue
    } else if (a.type === T.LEFTPARENS && isUnaryOp(b)) {
      pos -= 1
      sf.statsFolds += 1
      if (left > 0) left -= 1
      continue
    } else if (mergeWords(a, b)) {
      pos -= 1
      sf.statsFolds += 1
      if (left > 0) left -= 1
      continue
    } else if (a.type === T.SEMICOLON && b.type === T.FUNCTION && (b.val[0] === 0x49 || b.val[0] === 0x69) && (b.val[1] === 0x46 || b.val[1] === 0x66)) {
      b.type = T.TSQL // "; IF" is Transact-SQL's IF statement
      continue
    } else if ((a.type === T.BAREWORD || a.type === T.VARIABLE) && b.type === T.LEFTPARENS && isFunctionWord(a)) {
      a.type = T.FUNCTION
      continue
    } else if (a.type === T.KEYWORD && (tokenIs(a, 'IN') || tokenIs(a, 'NOT IN'))) {
      // "IN (" is an operator; otherwise ("IN BOOLEAN MODE") a plain word
      a.type = b.type === T.LEFTPARENS ? T.OPERATOR : T.BAREWORD
      continue
    } else if (a.type === T.OPERATOR && (tokenIs(a, 'LIKE') || tokenIs(a, 'NOT LIKE'))) {
      if (b.type === T.LEFTPARENS) a.type = T.FUNCTION // "LIKE(" is a function
    } else if (a.type === T.SQLTYPE && (b.type === T.BAREWORD || b.type === T.NUMBER || b.type === T.SQLTYPE ||
      b.type === T.LEFTPARENS || b.type === T.FUNCTION || b.type === T.VARIABLE || b.type === T.STRING)) {
      a.copyFrom(b)
      pos -= 1
      sf.statsFolds += 1
      left = 0
      continue
    } else if (a.type === T.COLLATE && b.type === T.BAREWORD) {
      // too many collations to list: a word with "_" after COLLATE is one
      if (hasUnderscore(b)) {
        b.type = T.SQLTYPE
        left = 0
      }
    } else if (a.type === T.BACKSLASH) {
      if (isArithmeticOp(b)) {
        a.type = T.NUMBER // T-SQL reads "\%1" as "0 % 1"
      } else {
        a.copyFrom(b) // and "\1" as "1"
        pos -= 1
        sf.statsFolds += 1
      }
      left = 0
      continue
    } else if (a.type === T.LEFTPARENS && b.type === T.LEFTPARENS) {
      pos -= 1
      left = 0
      sf.statsFolds += 1
      continue
    } else if (a.type === T.RIGHTPARENS && b.type === T.RIGHTPARENS) {
      pos -= 1
      left = 0
      sf.statsFolds += 1
      continue
    } else if (a.type === T.LEFTBRACE && b.type === T.BAREWORD) {
      // MySQL's "{ ``" is blacklisted; ODBC's "{foo expr}" is "expr"
      if (b.len === 0) {
        b.type = T.EVIL
        return left + 2
      }
      left = 0
      pos -= 2
      sf.statsFolds += 2
      continue
    } else if (b.type === T.RIGHTBRACE) {
      pos -= 1
      left = 0
      sf.statsFolds += 1
      continue
    }

    // No two-token fold: get a third token. (As the two-token fetch above, line for line as libinjection_sqli_fold does it.)
    if (more) {
      pos = readTokens(sf, pos, left + 3)
      more = moreInput
    }
    if (pos - left < 3) {
      left = pos
      continue
    }

    const c = v[left + 2]!
    if (a.type === T.NUMBER && b.type === T.OPERATOR && c.type === T.NUMBER) {
      pos -= 2
      left = 0
      continue
    } else if (a.type === T.OPERATOR && b.type !== T.LEFTPARENS && c.type === T.OPERATOR) {
      left = 0
      pos -= 2
      continue
    } else if (a.type === T.LOGIC_OPERATOR && c.type === T.LOGIC_OPERATOR) {
      pos -= 2
      left = 0
      continue
    } else if (a.type === T.VARIABLE && b.type === T.OPERATOR && (c.type === T.VARIABLE || c.type === T.NUMBER || c.type === T.BAREWORD)) {
      pos -= 2
      left = 0
      continue
    } else if ((a.type === T.BAREWORD || a.type === T.NUMBER) && b.type === T.OPERATOR && (c.type === T.NUMBER || c.type === T.BAREWORD)) {
      pos -= 2
      left = 0
      continue
    } else if ((a.type === T.BAREWORD || a.type === T.NUMBER || a.type === T.VARIABLE || a.type === T.STRING) &&
      b.type === T.OPERATOR && b.val[0] === 0x3a && b.val[1] === 0x3a && b.val[2] === 0 && c.type === T.SQLTYPE) {
      pos -= 2 // "foo::int"
      left = 0
      sf.statsFolds += 2
      continue
    } else if ((a.type === T.BAREWORD || a.type === T.NUMBER || a.type === T.STRING || a.type === T.VARIABLE) && b.type === T.COMMA &&
      (c.type === T.NUMBER || c.type === T.BAREWORD || c.type === T.STRING || c.type === T.VARIABLE)) {
      pos -= 2
      left = 0
      continue
    } else if ((a.type === T.EXPRESSION || a.type === T.GROUP || a.type === T.COMMA) && isUnaryOp(b) && c.type === T.LEFTPARENS) {
      b.copyFrom(c) // "SELECT + (", "LIMIT + (": drop the unary operator
      pos -= 1
      left = 0
      continue
    } else if ((a.type === T.KEYWORD || a.type === T.EXPRESSION || a.type === T.GROUP) && isUnaryOp(b) &&
      (c.type === T.NUMBER || c.type === T.BAREWORD || c.type === T.VARIABLE || c.type === T.STRING || c.type === T.FUNCTION)) {
      b.copyFrom(c) // "select - 1"
      pos -= 1
      left = 0
      continue
    } else if (a.type === T.COMMA && isUnaryOp(b) && (c.type === T.NUMBER || c.type === T.BAREWORD || c.type === T.VARIABLE || c.type === T.STRING)) {
      b.copyFrom(c) // ", -1" is ",1", and back up to fold "1,-1" to "1"
      left = 0
      pos -= 3
      continue
    } else if (a.type === T.COMMA && isUnaryOp(b) && c.type === T.FUNCTION) {
      b.copyFrom(c) // "1,-sin(1)" is "1,sin(1)"
      pos -= 1
      left = 0
      continue
    } else if (a.type === T.BAREWORD && b.type === T.DOT && c.type === T.BAREWORD) {
      pos -= 2 // database.table
      left = 0
      continue
    } else if (a.type === T.EXPRESSION && b.type === T.DOT && c.type === T.BAREWORD) {
      b.copyFrom(c) // "select . `foo`" is "select `foo`"
      pos -= 1
      left = 0
      continue
    } else if (a.type === T.FUNCTION && b.type === T.LEFTPARENS && c.type !== T.RIGHTPARENS) {
      // USER() takes no argument: USER(foo) is no function
      if (tokenIs(a, 'USER')) a.type = T.BAREWORD
    }

    left += 1
  }

  // With room left, a trailing comment comes back.
  if (left < MAX_TOKENS && lastComment.type === T.COMMENT) {
    v[left]!.copyFrom(lastComment)
    left += 1
  }
  // A sixth token may have been read to decide the fifth.
  if (left > MAX_TOKENS) left = MAX_TOKENS
  return left
}
