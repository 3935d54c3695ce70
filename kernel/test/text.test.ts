import { describe, expect, test } from 'bun:test'
import {
  codePointLength,
  hasInvisibleChars,
  isHonestDomain,
  isHonestName,
  normalizeText,
  scriptsOf,
} from '../src/text.ts'

describe('honest text', () => {
  test('NFC: a decomposed é becomes the precomposed one', () => {
    const decomposed = 'Cafe\u0301'
    expect(decomposed).not.toBe('Café')
    expect(normalizeText(decomposed)).toBe('Café')
    expect(normalizeText('Café')).toBe('Café')
  })

  test('lengths in code points: an emoji is one', () => {
    expect(codePointLength('😀')).toBe(1)
    expect('😀'.length).toBe(2)
    expect(codePointLength('😀'.repeat(200))).toBe(200)
    expect(codePointLength('')).toBe(0)
    expect(codePointLength('abc')).toBe(3)
  })

  test('invisible: zero-width, bidi controls, other default-ignorables', () => {
    for (const ch of ['\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD', '\u034F', '\u180E', '\u115F'])
      expect(hasInvisibleChars(`a${ch}b`)).toBe(true)
    for (const ch of ['\u200E', '\u200F', '\u202A', '\u202E', '\u2066', '\u2069', '\u061C'])
      expect(hasInvisibleChars(`a${ch}b`)).toBe(true)
    expect(hasInvisibleChars('Books and Bücher 📚')).toBe(false)
    expect(hasInvisibleChars('')).toBe(false)
  })

  test('emoji sequences keep the joiners and selectors that make them', () => {
    expect(hasInvisibleChars('👩‍💻')).toBe(false) // woman, ZWJ, laptop
    expect(hasInvisibleChars('👍🏽')).toBe(false) // skin tone modifier
    expect(hasInvisibleChars('❤️')).toBe(false) // VS16 after an emoji
    expect(hasInvisibleChars('👨🏽‍🚀')).toBe(false)
    expect(hasInvisibleChars('🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}')).toBe(false) // Scotland
    // but not around letters
    expect(hasInvisibleChars('a\u200Db')).toBe(true)
    expect(hasInvisibleChars('a\uFE0F')).toBe(true)
    expect(hasInvisibleChars('a\u{E0061}')).toBe(true)
    expect(hasInvisibleChars('👩\u200D')).toBe(true)
  })

  test('names: NFC, 1 to max code points, nothing invisible, no control characters', () => {
    expect(isHonestName('😀'.repeat(200), 200)).toBe(true)
    expect(isHonestName('😀'.repeat(201), 200)).toBe(false)
    expect(isHonestName('', 200)).toBe(false)
    expect(isHonestName('Book\u200Bs', 200)).toBe(false)
    expect(isHonestName('Cafe\u0301', 200)).toBe(false)
    expect(isHonestName('Café', 200)).toBe(true)
    expect(isHonestName('a\u0000b', 200)).toBe(false)
  })

  test('scripts of letters; digits, dots and hyphens are neutral', () => {
    expect([...scriptsOf('atk.example')]).toEqual(['Latin'])
    expect([...scriptsOf('\u0430tk')].sort()).toEqual(['Cyrillic', 'Latin'])
    expect([...scriptsOf('123-.')]).toEqual([])
    expect([...scriptsOf('пример')]).toEqual(['Cyrillic'])
  })

  test('domains: ASCII (punycode too) or one script (TS #39 highly restrictive)', () => {
    expect(isHonestDomain('atk.example')).toBe(true)
    expect(isHonestDomain('xn--tk-3hb.example')).toBe(true)
    expect(isHonestDomain('\u0430tk.example')).toBe(false) // Cyrillic а among Latin letters
    expect(isHonestDomain('раураl.com')).toBe(false) // Cyrillic р а у а р + Latin l, com
    expect(isHonestDomain('пример.рф')).toBe(true)
    expect(isHonestDomain('bücher.de')).toBe(true)
    expect(isHonestDomain('παράδειγμα.ελ')).toBe(true)
    expect(isHonestDomain('例え.テスト')).toBe(true) // Han and Katakana: Japanese
    expect(isHonestDomain('例え.jp')).toBe(true) // with Latin: Japanese text allows it
    expect(isHonestDomain('пример.com')).toBe(false) // Cyrillic with Latin
    expect(isHonestDomain('ex\u200Bample.com\u00e9')).toBe(false)
    expect(isHonestDomain('e\u0301xample.de')).toBe(false) // not NFC
    expect(isHonestDomain('shop☺.com')).toBe(false) // a symbol
  })
})
