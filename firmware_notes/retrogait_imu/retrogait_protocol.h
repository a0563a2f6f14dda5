// retrogait binary protocol, device side. Pure C++ (no Arduino calls) so the host tests can compile
// it and check it against the Python decoder. Specification: ../protocol.md
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <string.h>

namespace rg {

const uint8_t END = 0xC0;
const uint8_t ESC = 0xDB;
const uint8_t ESC_END = 0xDC;
const uint8_t ESC_ESC = 0xDD;
const uint8_t PROTOCOL_VERSION = 1;

const uint8_t T_INFO = 0x01;
const uint8_t T_SAMPLES = 0x02;
const uint8_t T_REPLY = 0x03;
const uint8_t T_LOG = 0x04;

const uint8_t C_START = 0x10;
const uint8_t C_STOP = 0x11;
const uint8_t C_SET_RATE = 0x12;
const uint8_t C_IDENTIFY = 0x13;

const uint8_t STATUS_OK = 0;
const uint8_t STATUS_UNKNOWN = 1;
const uint8_t STATUS_BAD_ARG = 2;

const uint16_t CRC_POLY = 0x1021;  // CRC-16/CCITT-FALSE
const uint16_t CRC_INIT = 0xFFFF;
const size_t MAX_BODY = 256;
const size_t MAX_WIRE = 2 * (MAX_BODY + 2) + 2;

// CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, not reflected, no final xor ("123456789" -> 0x29B1).
inline uint16_t crc16(const uint8_t* p, size_t n) {
  uint16_t crc = CRC_INIT;
  for (size_t i = 0; i < n; i++) {
    crc ^= (uint16_t)p[i] << 8;
    for (int b = 0; b < 8; b++) crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ CRC_POLY) : (uint16_t)(crc << 1);
  }
  return crc;
}

// Builds one frame body (little-endian fields), then stuffs it with its CRC into a wire buffer.
struct FrameWriter {
  uint8_t body[MAX_BODY + 2];
  size_t n = 0;

  void begin(uint8_t type) { n = 0; u8(type); }
  void u8(uint8_t v) { if (n < MAX_BODY) body[n++] = v; }
  void u16(uint16_t v) { u8((uint8_t)(v & 0xFF)); u8((uint8_t)(v >> 8)); }
  void u32(uint32_t v) { u16((uint16_t)(v & 0xFFFF)); u16((uint16_t)(v >> 16)); }
  void i16(int16_t v) { u16((uint16_t)v); }
  void f32(float v) { uint32_t u; memcpy(&u, &v, 4); u32(u); }
  void str(const char* s) {
    size_t len = strlen(s);
    if (len > 255) len = 255;
    u8((uint8_t)len);
    for (size_t i = 0; i < len; i++) u8((uint8_t)s[i]);
  }

  // Appends the CRC, writes END + stuffed bytes + END into out (MAX_WIRE bytes); returns the length.
  size_t finish(uint8_t* out) {
    uint16_t c = crc16(body, n);
    body[n++] = (uint8_t)(c & 0xFF);
    body[n++] = (uint8_t)(c >> 8);
    size_t k = 0;
    out[k++] = END;
    for (size_t i = 0; i < n; i++) {
      uint8_t b = body[i];
      if (b == END) { out[k++] = ESC; out[k++] = ESC_END; }
      else if (b == ESC) { out[k++] = ESC; out[k++] = ESC_ESC; }
      else out[k++] = b;
    }
    out[k++] = END;
    return k;
  }
};

// Receives host commands byte by byte; feed() returns true when a complete frame with a valid CRC
// is in body[0..len) (type byte first, CRC removed).
struct FrameReader {
  uint8_t body[32];
  size_t len = 0;
  size_t n = 0;
  bool esc = false;
  bool bad = false;

  bool feed(uint8_t b) {
    if (b == END) {
      bool ok = !bad && n >= 3 && crc16(body, n - 2) == (uint16_t)(body[n - 2] | (body[n - 1] << 8));
      len = ok ? n - 2 : 0;
      n = 0; esc = false; bad = false;
      return ok;
    }
    if (esc) {
      esc = false;
      if (b == ESC_END) b = END;
      else if (b == ESC_ESC) b = ESC;
      else { bad = true; return false; }
    } else if (b == ESC) { esc = true; return false; }
    if (n < sizeof(body)) body[n++] = b; else bad = true;
    return false;
  }
  uint8_t command() const { return body[0]; }
  const uint8_t* arg() const { return body + 1; }
  size_t arg_len() const { return len ? len - 1 : 0; }
};

}  // namespace rg
