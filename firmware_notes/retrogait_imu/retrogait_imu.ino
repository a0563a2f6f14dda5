// retrogait reference firmware: a shoe IMU that streams the retrogait binary protocol over USB.
//
// Board: Seeed Studio XIAO nRF52840 Sense (on-board LSM6DS3TR-C 6-axis IMU), Arduino core
// "Seeed nRF52 mbed-enabled Boards". Library: "Seeed Arduino LSM6DS3" (Library Manager).
// Output: 200 Hz, +-16 g, +-2000 deg/s, one sample a frame (see ../protocol.md).
// Other boards: change the four lines marked PORT (the IMU driver, its raw reads, its sensitivities,
// the model string); e.g. a Nano 33 BLE Sense Rev2 (BMI270) with a BMI270 driver that exposes raw
// int16 reads, at +-16 g (2048 LSB/g) and +-2000 deg/s (16.4 LSB/(deg/s)).
//
// Mount it as described in ../mounting.md, then: retrogait record --port /dev/ttyACM0 --foot left -o walk.rgt

#include <Arduino.h>
#include <Wire.h>
#include "LSM6DS3.h"                 // PORT: the IMU driver
#include "retrogait_protocol.h"

static const char* MODEL = "XIAO nRF52840 Sense / LSM6DS3";  // PORT: the model string
static const char* FIRMWARE = "retrogait_imu 1.0";

// PORT: sensitivities at the configured ranges (LSM6DS3 datasheet, table 3): 0.488 mg/LSB at +-16 g,
// 70 mdps/LSB at +-2000 dps. Sent in INFO, so the host converts exactly.
static const float ACC_LSB = 0.488e-3f * 9.80665f;             // m/s^2 per LSB
static const float GYR_LSB = 70.0e-3f * 3.14159265f / 180.0f;  // rad/s per LSB

static const uint16_t DEFAULT_RATE_HZ = 200;
static const uint16_t MAX_RATE_HZ = 1000;

LSM6DS3 imu(I2C_MODE, 0x6A);
rg::FrameWriter fw;
rg::FrameReader fr;
uint8_t wire[rg::MAX_WIRE];

uint16_t rate_hz = DEFAULT_RATE_HZ;
uint32_t period_us = 1000000UL / DEFAULT_RATE_HZ;
uint32_t next_us = 0;
uint32_t seq = 0;        // samples since power-on, sent or not (the host counts gaps from it)
bool streaming = true;   // streams from power-on; STOP / START from the host

static void send() {
  size_t k = fw.finish(wire);
  Serial.write(wire, k);
}

static uint32_t deviceId() {
  return NRF_FICR->DEVICEID[0];  // PORT: any stable 32-bit id of the board
}

static void sendInfo() {
  fw.begin(rg::T_INFO);
  fw.u8(rg::PROTOCOL_VERSION);
  fw.u16(rate_hz);
  fw.u8(1);  // samples per frame
  fw.f32(ACC_LSB);
  fw.f32(GYR_LSB);
  fw.u32(deviceId());
  fw.str(MODEL);
  fw.str(FIRMWARE);
  send();
}

static void reply(uint8_t cmd, uint8_t status) {
  fw.begin(rg::T_REPLY);
  fw.u8(cmd);
  fw.u8(status);
  send();
}

static bool setRate(uint16_t hz) {
  if (hz < 1 || hz > MAX_RATE_HZ) return false;
  rate_hz = hz;
  period_us = 1000000UL / hz;
  next_us = micros() + period_us;
  return true;
}

static void handleCommand() {
  uint8_t cmd = fr.command();
  switch (cmd) {
    case rg::C_START: streaming = true; reply(cmd, rg::STATUS_OK); break;
    case rg::C_STOP: streaming = false; reply(cmd, rg::STATUS_OK); break;
    case rg::C_IDENTIFY: sendInfo(); reply(cmd, rg::STATUS_OK); break;
    case rg::C_SET_RATE:
      if (fr.arg_len() == 2 && setRate((uint16_t)(fr.arg()[0] | (fr.arg()[1] << 8)))) {
        reply(cmd, rg::STATUS_OK);
        sendInfo();
      } else {
        reply(cmd, rg::STATUS_BAD_ARG);
      }
      break;
    default: reply(cmd, rg::STATUS_UNKNOWN);
  }
}

void setup() {
  Serial.begin(115200);  // USB CDC: the baud value is ignored
  uint32_t t0 = millis();
  while (!Serial && millis() - t0 < 2000) {}
  imu.settings.accelRange = 16;         // g
  imu.settings.gyroRange = 2000;        // deg/s
  imu.settings.accelSampleRate = 833;   // internal ODR above the output rate, anti-aliased by the
  imu.settings.gyroSampleRate = 833;    // sensor's digital filter; we read the newest value
  imu.settings.accelBandWidth = 200;    // Hz
  if (imu.begin() != 0) {
    fw.begin(rg::T_LOG);
    const char* msg = "IMU not found";
    for (const char* p = msg; *p; p++) fw.u8((uint8_t)*p);
    send();
  }
  sendInfo();
  next_us = micros() + period_us;
}

void loop() {
  while (Serial.available() > 0) {
    if (fr.feed((uint8_t)Serial.read())) handleCommand();
  }
  uint32_t now = micros();
  if ((int32_t)(now - next_us) < 0) return;
  uint32_t late = (now - next_us) / period_us;  // whole periods missed (USB stalled, I2C slow ...)
  seq += late;                                  // counted, so the host marks the gap
  next_us += (late + 1) * period_us;
  int16_t v[6] = {imu.readRawAccelX(), imu.readRawAccelY(), imu.readRawAccelZ(),  // PORT: raw reads
                  imu.readRawGyroX(), imu.readRawGyroY(), imu.readRawGyroZ()};
  if (streaming && Serial.availableForWrite() >= 40) {  // never block: a full USB buffer drops the frame
    fw.begin(rg::T_SAMPLES);
    fw.u32(seq);
    fw.u8(1);
    fw.u32(now);
    for (int i = 0; i < 6; i++) fw.i16(v[i]);
    send();
  }
  seq++;
}
