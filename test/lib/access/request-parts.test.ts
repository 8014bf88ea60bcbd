import t from 'tap'
import { argOf, argsOf, basicUser, cookieOf, normalizeUri, pathOf, plainAddress } from '../../../lib/access/request-parts.js'

t.test('argsOf and pathOf split at the first ?', async t => {
  t.equal(argsOf('/p'), undefined)
  t.equal(argsOf('/p?'), undefined, 'an empty query is none, as nginx has it')
  t.equal(argsOf('/p?a=1?b'), 'a=1?b')
  t.equal(pathOf('/p?a=1'), '/p')
  t.equal(pathOf('/p'), '/p')
})

t.test('argOf finds NAME= at the start or after & (ngx_http_arg)', async t => {
  t.equal(argOf('a=1&b=2', 'a'), '1')
  t.equal(argOf('a=1&b=2', 'b'), '2')
  t.equal(argOf('A=1', 'a'), '1', 'names compare case-insensitively')
  t.equal(argOf('xa=1&a=2', 'a'), '2', 'must start at & or the beginning')
  t.equal(argOf('a=1&a=2', 'a'), '1', 'the first wins')
  t.equal(argOf('a&a=3', 'a'), '3', 'a bare name is skipped')
  t.equal(argOf('a=', 'a'), '')
  t.equal(argOf('a=%20x+y', 'a'), '%20x+y', 'not decoded')
  t.equal(argOf('b=1', 'a'), undefined)
  t.equal(argOf('', 'a'), undefined)
  t.equal(argOf(undefined, 'a'), undefined)
  t.equal(argOf('ab=1', 'a'), undefined)
})

t.test('cookieOf parses like ngx_http_parse_multi_header_lines', async t => {
  t.equal(cookieOf('a=1; b=2', 'b'), '2')
  t.equal(cookieOf('a=1;b=2', 'b'), '2')
  t.equal(cookieOf('a=1, b=2', 'b'), '2', 'a comma separates pairs too')
  t.equal(cookieOf('A=1', 'a'), '1', 'case-insensitive')
  t.equal(cookieOf('a = 1 ; b=2', 'a'), '1 ', 'spaces around = skipped, value runs to ;')
  t.equal(cookieOf('a=1, b=2', 'a'), '1, b=2', 'the value runs to ; only')
  t.equal(cookieOf('ab=1; a=2', 'a'), '2')
  t.equal(cookieOf('a; a=3', 'a'), '3')
  t.equal(cookieOf('x=1', 'a'), undefined)
  t.equal(cookieOf(undefined, 'a'), undefined)
})

function basic (s: string): string {
  return 'Basic ' + Buffer.from(s, 'latin1').toString('base64')
}

t.test('basicUser follows ngx_http_auth_basic_user', async t => {
  t.equal(basicUser(basic('alice:secret')), 'alice')
  t.equal(basicUser('basic ' + Buffer.from('bob:x').toString('base64')), 'bob', 'scheme in any case')
  t.equal(basicUser('Basic    ' + Buffer.from('bob:x').toString('base64')), 'bob', 'spaces skipped')
  t.equal(basicUser(basic('a"b\\c:p')), 'a"b\\c')
  t.equal(basicUser(basic(':nouser')), undefined, 'empty user')
  t.equal(basicUser(basic('nocolon')), undefined)
  t.equal(basicUser('Bearer abc'), undefined)
  t.equal(basicUser('Basic '), undefined)
  t.equal(basicUser('Basic !!!!'), undefined, 'bad base64')
  t.equal(basicUser('Basic YWJjZ'), undefined, 'length % 4 == 1')
  t.equal(basicUser('Basic ' + Buffer.from('u:p').toString('base64').replace(/=+$/, '')), 'u', 'padding optional')
  t.equal(basicUser(undefined), undefined)
})

t.test('normalizeUri decodes, merges slashes and resolves dot segments', async t => {
  t.equal(normalizeUri('/a/b'), '/a/b')
  t.equal(normalizeUri('/a//b///c'), '/a/b/c')
  t.equal(normalizeUri('/a/./b/../c'), '/a/c')
  t.equal(normalizeUri('/a/b/..'), '/a/')
  t.equal(normalizeUri('/a/.'), '/a/')
  t.equal(normalizeUri('/../../x'), '/x')
  t.equal(normalizeUri('/%61%2Fb'), '/a/b')
  t.equal(normalizeUri('/x%20y'), '/x y')
  t.equal(normalizeUri('/bad%zz'), '/bad%zz')
  t.equal(normalizeUri('/'), '/')
  t.equal(normalizeUri('/a/'), '/a/')
})

t.test('plainAddress shows IPv4-mapped addresses as IPv4', async t => {
  t.equal(plainAddress('::ffff:127.0.0.1'), '127.0.0.1')
  t.equal(plainAddress('::1'), '::1')
  t.equal(plainAddress('10.0.0.1'), '10.0.0.1')
  t.equal(plainAddress(undefined), undefined)
})
