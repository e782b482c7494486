// Copyright Mozilla Foundation. See the COPYRIGHT
// file at the top-level directory of this distribution.
//
// Licensed under the Apache License, Version 2.0 <LICENSE-APACHE or
// https://www.apache.org/licenses/LICENSE-2.0> or the MIT license
// <LICENSE-MIT or https://opensource.org/licenses/MIT>, at your
// option. This file may not be copied, modified, or distributed
// except according to those terms.

// THIS IS A GENERATED FILE. PLEASE DO NOT EDIT.
// Instead, please regenerate using generate-encoding-data.py

//! This module provides enums that wrap the various decoders and encoders.
//! The purpose is to make `Decoder` and `Encoder` `Sized` by writing the
//! dispatch explicitly for a finite set of specialized decoders and encoders.
//! Unfortunately, this means the compiler doesn't generate the dispatch code
//! and it has to be written here instead.
//!
//! The purpose of making `Decoder` and `Encoder` `Sized` is to allow stack
//! allocation in Rust code, including the convenience methods on `Encoding`.

use super::*;
#[cfg(not(feature = "no-legacy-cjk"))]
use big5::*;
#[cfg(not(feature = "no-legacy-cjk"))]
use euc_jp::*;
#[cfg(not(feature = "no-legacy-cjk"))]
use euc_kr::*;
#[cfg(not(feature = "no-legacy-cjk"))]
use gb18030::*;
#[cfg(not(feature = "no-legacy-cjk"))]
use iso_2022_jp::*;
use replacement::*;
#[cfg(not(feature = "no-legacy-cjk"))]
use shift_jis::*;
use single_byte::*;
use utf_8::*;
use utf_16::*;
use x_user_defined::*;

pub enum VariantDecoder {
    SingleByte(SingleByteDecoder),
    Utf8(Utf8Decoder),
    #[cfg(not(feature = "no-legacy-cjk"))]
    Gb18030(Gb18030Decoder),
    #[cfg(not(feature = "no-legacy-cjk"))]
    Big5(Big5Decoder),
    #[cfg(not(feature = "no-legacy-cjk"))]
    EucJp(EucJpDecoder),
    #[cfg(not(feature = "no-legacy-cjk"))]
    Iso2022Jp(Iso2022JpDecoder),
    #[cfg(not(feature = "no-legacy-cjk"))]
    ShiftJis(ShiftJisDecoder),
    #[cfg(not(feature = "no-legacy-cjk"))]
    EucKr(EucKrDecoder),
    Replacement(ReplacementDecoder),
    UserDefined(UserDefinedDecoder),
    Utf16(Utf16Decoder),
}

impl VariantDecoder {
    pub fn max_utf16_buffer_length(&self, byte_length: usize) -> Option<usize> {
        match *self {
            VariantDecoder::SingleByte(ref v) => v.max_utf16_buffer_length(byte_length),
            VariantDecoder::Utf8(ref v) => v.max_utf16_buffer_length(byte_length),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::Gb18030(ref v) => v.max_utf16_buffer_length(byte_length),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::Big5(ref v) => v.max_utf16_buffer_length(byte_length),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::EucJp(ref v) => v.max_utf16_buffer_length(byte_length),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::Iso2022Jp(ref v) => v.max_utf16_buffer_length(byte_length),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::ShiftJis(ref v) => v.max_utf16_buffer_length(byte_length),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::EucKr(ref v) => v.max_utf16_buffer_length(byte_length),
            VariantDecoder::Replacement(ref v) => v.max_utf16_buffer_length(byte_length),
            VariantDecoder::UserDefined(ref v) => v.max_utf16_buffer_length(byte_length),
            VariantDecoder::Utf16(ref v) => v.max_utf16_buffer_length(byte_length),
        }
    }

    pub fn max_utf8_buffer_length_without_replacement(&self, byte_length: usize) -> Option<usize> {
        match *self {
            VariantDecoder::SingleByte(ref v) => {
                v.max_utf8_buffer_length_without_replacement(byte_length)
            }
            VariantDecoder::Utf8(ref v) => {
                v.max_utf8_buffer_length_without_replacement(byte_length)
            }
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::Gb18030(ref v) => {
                v.max_utf8_buffer_length_without_replacement(byte_length)
            }
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::Big5(ref v) => {
                v.max_utf8_buffer_length_without_replacement(byte_length)
            }
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::EucJp(ref v) => {
                v.max_utf8_buffer_length_without_replacement(byte_length)
            }
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::Iso2022Jp(ref v) => {
                v.max_utf8_buffer_length_without_replacement(byte_length)
            }
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::ShiftJis(ref v) => {
                v.max_utf8_buffer_length_without_replacement(byte_length)
            }
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::EucKr(ref v) => {
                v.max_utf8_buffer_length_without_replacement(byte_length)
            }
            VariantDecoder::Replacement(ref v) => {
                v.max_utf8_buffer_length_without_replacement(byte_length)
            }
            VariantDecoder::UserDefined(ref v) => {
                v.max_utf8_buffer_length_without_replacement(byte_length)
            }
            VariantDecoder::Utf16(ref v) => {
                v.max_utf8_buffer_length_without_replacement(byte_length)
            }
        }
    }

    pub fn max_utf8_buffer_length(&self, byte_length: usize) -> Option<usize> {
        match *self {
            VariantDecoder::SingleByte(ref v) => v.max_utf8_buffer_length(byte_length),
            VariantDecoder::Utf8(ref v) => v.max_utf8_buffer_length(byte_length),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::Gb18030(ref v) => v.max_utf8_buffer_length(byte_length),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::Big5(ref v) => v.max_utf8_buffer_length(byte_length),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::EucJp(ref v) => v.max_utf8_buffer_length(byte_length),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::Iso2022Jp(ref v) => v.max_utf8_buffer_length(byte_length),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::ShiftJis(ref v) => v.max_utf8_buffer_length(byte_length),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::EucKr(ref v) => v.max_utf8_buffer_length(byte_length),
            VariantDecoder::Replacement(ref v) => v.max_utf8_buffer_length(byte_length),
            VariantDecoder::UserDefined(ref v) => v.max_utf8_buffer_length(byte_length),
            VariantDecoder::Utf16(ref v) => v.max_utf8_buffer_length(byte_length),
        }
    }

    pub fn decode_to_utf8_raw(
        &mut self,
        src: &[u8],
        dst: &mut [u8],
        last: bool,
    ) -> (DecoderResult, usize, usize) {
        match *self {
            VariantDecoder::SingleByte(ref mut v) => v.decode_to_utf8_raw(src, dst, last),
            VariantDecoder::Utf8(ref mut v) => v.decode_to_utf8_raw(src, dst, last),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::Gb18030(ref mut v) => v.decode_to_utf8_raw(src, dst, last),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::Big5(ref mut v) => v.decode_to_utf8_raw(src, dst, last),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::EucJp(ref mut v) => v.decode_to_utf8_raw(src, dst, last),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::Iso2022Jp(ref mut v) => v.decode_to_utf8_raw(src, dst, last),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::ShiftJis(ref mut v) => v.decode_to_utf8_raw(src, dst, last),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::EucKr(ref mut v) => v.decode_to_utf8_raw(src, dst, last),
            VariantDecoder::Replacement(ref mut v) => v.decode_to_utf8_raw(src, dst, last),
            VariantDecoder::UserDefined(ref mut v) => v.decode_to_utf8_raw(src, dst, last),
            VariantDecoder::Utf16(ref mut v) => v.decode_to_utf8_raw(src, dst, last),
        }
    }

    pub fn decode_to_utf16_raw(
        &mut self,
        src: &[u8],
        dst: &mut [u16],
        last: bool,
    ) -> (DecoderResult, usize, usize) {
        decode_to_utf16_raw_impl(self, src, dst, last)
    }

    pub fn latin1_byte_compatible_up_to(&self, buffer: &[u8]) -> Option<usize> {
        match *self {
            VariantDecoder::SingleByte(ref v) => {
                return Some(v.latin1_byte_compatible_up_to(buffer));
            }
            VariantDecoder::Utf8(ref v) => {
                if !v.in_neutral_state() {
                    return None;
                }
            }
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::Gb18030(ref v) => {
                if !v.in_neutral_state() {
                    return None;
                }
            }
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::Big5(ref v) => {
                if !v.in_neutral_state() {
                    return None;
                }
            }
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::EucJp(ref v) => {
                if !v.in_neutral_state() {
                    return None;
                }
            }
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::Iso2022Jp(ref v) => {
                if v.in_neutral_state() {
                    return Some(Encoding::iso_2022_jp_ascii_valid_up_to(buffer));
                }
                return None;
            }
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::ShiftJis(ref v) => {
                if !v.in_neutral_state() {
                    return None;
                }
            }
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantDecoder::EucKr(ref v) => {
                if !v.in_neutral_state() {
                    return None;
                }
            }
            VariantDecoder::UserDefined(_) => {}
            VariantDecoder::Replacement(_) | VariantDecoder::Utf16(_) => {
                return None;
            }
        };
        Some(Encoding::ascii_valid_up_to(buffer))
    }
}

#[crate::multiversion(targets("x86_64+avx2+bmi1", "x86+avx2+bmi1"))]
fn decode_to_utf16_raw_impl(
    dec: &mut VariantDecoder,
    src: &[u8],
    dst: &mut [u16],
    last: bool,
) -> (DecoderResult, usize, usize) {
    match *dec {
        VariantDecoder::SingleByte(ref mut v) => v.decode_to_utf16_raw(src, dst, last),
        VariantDecoder::Utf8(ref mut v) => v.decode_to_utf16_raw(src, dst, last),
        #[cfg(not(feature = "no-legacy-cjk"))]
        VariantDecoder::Gb18030(ref mut v) => v.decode_to_utf16_raw(src, dst, last),
        #[cfg(not(feature = "no-legacy-cjk"))]
        VariantDecoder::Big5(ref mut v) => v.decode_to_utf16_raw(src, dst, last),
        #[cfg(not(feature = "no-legacy-cjk"))]
        VariantDecoder::EucJp(ref mut v) => v.decode_to_utf16_raw(src, dst, last),
        #[cfg(not(feature = "no-legacy-cjk"))]
        VariantDecoder::Iso2022Jp(ref mut v) => v.decode_to_utf16_raw(src, dst, last),
        #[cfg(not(feature = "no-legacy-cjk"))]
        VariantDecoder::ShiftJis(ref mut v) => v.decode_to_utf16_raw(src, dst, last),
        #[cfg(not(feature = "no-legacy-cjk"))]
        VariantDecoder::EucKr(ref mut v) => v.decode_to_utf16_raw(src, dst, last),
        VariantDecoder::Replacement(ref mut v) => v.decode_to_utf16_raw(src, dst, last),
        VariantDecoder::UserDefined(ref mut v) => v.decode_to_utf16_raw(src, dst, last),
        VariantDecoder::Utf16(ref mut v) => v.decode_to_utf16_raw(src, dst, last),
    }
}

pub enum VariantEncoder {
    SingleByte(SingleByteEncoder),
    Utf8(Utf8Encoder),
    #[cfg(not(feature = "no-legacy-cjk"))]
    Gb18030(Gb18030Encoder),
    #[cfg(not(feature = "no-legacy-cjk"))]
    Big5(Big5Encoder),
    #[cfg(not(feature = "no-legacy-cjk"))]
    EucJp(EucJpEncoder),
    #[cfg(not(feature = "no-legacy-cjk"))]
    Iso2022Jp(Iso2022JpEncoder),
    #[cfg(not(feature = "no-legacy-cjk"))]
    ShiftJis(ShiftJisEncoder),
    #[cfg(not(feature = "no-legacy-cjk"))]
    EucKr(EucKrEncoder),
    UserDefined(UserDefinedEncoder),
}

impl VariantEncoder {
    pub fn has_pending_state(&self) -> bool {
        match *self {
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoder::Iso2022Jp(ref v) => v.has_pending_state(),
            _ => false,
        }
    }
    pub fn max_buffer_length_from_utf16_without_replacement(
        &self,
        u16_length: usize,
    ) -> Option<usize> {
        match *self {
            VariantEncoder::SingleByte(ref v) => {
                v.max_buffer_length_from_utf16_without_replacement(u16_length)
            }
            VariantEncoder::Utf8(ref v) => {
                v.max_buffer_length_from_utf16_without_replacement(u16_length)
            }
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoder::Gb18030(ref v) => {
                v.max_buffer_length_from_utf16_without_replacement(u16_length)
            }
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoder::Big5(ref v) => {
                v.max_buffer_length_from_utf16_without_replacement(u16_length)
            }
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoder::EucJp(ref v) => {
                v.max_buffer_length_from_utf16_without_replacement(u16_length)
            }
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoder::Iso2022Jp(ref v) => {
                v.max_buffer_length_from_utf16_without_replacement(u16_length)
            }
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoder::ShiftJis(ref v) => {
                v.max_buffer_length_from_utf16_without_replacement(u16_length)
            }
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoder::EucKr(ref v) => {
                v.max_buffer_length_from_utf16_without_replacement(u16_length)
            }
            VariantEncoder::UserDefined(ref v) => {
                v.max_buffer_length_from_utf16_without_replacement(u16_length)
            }
        }
    }

    pub fn max_buffer_length_from_utf8_without_replacement(
        &self,
        byte_length: usize,
    ) -> Option<usize> {
        match *self {
            VariantEncoder::SingleByte(ref v) => {
                v.max_buffer_length_from_utf8_without_replacement(byte_length)
            }
            VariantEncoder::Utf8(ref v) => {
                v.max_buffer_length_from_utf8_without_replacement(byte_length)
            }
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoder::Gb18030(ref v) => {
                v.max_buffer_length_from_utf8_without_replacement(byte_length)
            }
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoder::Big5(ref v) => {
                v.max_buffer_length_from_utf8_without_replacement(byte_length)
            }
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoder::EucJp(ref v) => {
                v.max_buffer_length_from_utf8_without_replacement(byte_length)
            }
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoder::Iso2022Jp(ref v) => {
                v.max_buffer_length_from_utf8_without_replacement(byte_length)
            }
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoder::ShiftJis(ref v) => {
                v.max_buffer_length_from_utf8_without_replacement(byte_length)
            }
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoder::EucKr(ref v) => {
                v.max_buffer_length_from_utf8_without_replacement(byte_length)
            }
            VariantEncoder::UserDefined(ref v) => {
                v.max_buffer_length_from_utf8_without_replacement(byte_length)
            }
        }
    }

    pub fn encode_from_utf16_raw(
        &mut self,
        src: &[u16],
        dst: &mut [u8],
        last: bool,
    ) -> (EncoderResult, usize, usize) {
        match *self {
            VariantEncoder::SingleByte(ref mut v) => v.encode_from_utf16_raw(src, dst, last),
            VariantEncoder::Utf8(ref mut v) => v.encode_from_utf16_raw(src, dst, last),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoder::Gb18030(ref mut v) => v.encode_from_utf16_raw(src, dst, last),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoder::Big5(ref mut v) => v.encode_from_utf16_raw(src, dst, last),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoder::EucJp(ref mut v) => v.encode_from_utf16_raw(src, dst, last),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoder::Iso2022Jp(ref mut v) => v.encode_from_utf16_raw(src, dst, last),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoder::ShiftJis(ref mut v) => v.encode_from_utf16_raw(src, dst, last),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoder::EucKr(ref mut v) => v.encode_from_utf16_raw(src, dst, last),
            VariantEncoder::UserDefined(ref mut v) => v.encode_from_utf16_raw(src, dst, last),
        }
    }

    pub fn encode_from_utf8_raw(
        &mut self,
        src: &str,
        dst: &mut [u8],
        last: bool,
    ) -> (EncoderResult, usize, usize) {
        match *self {
            VariantEncoder::SingleByte(ref mut v) => v.encode_from_utf8_raw(src, dst, last),
            VariantEncoder::Utf8(ref mut v) => v.encode_from_utf8_raw(src, dst, last),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoder::Gb18030(ref mut v) => v.encode_from_utf8_raw(src, dst, last),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoder::Big5(ref mut v) => v.encode_from_utf8_raw(src, dst, last),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoder::EucJp(ref mut v) => v.encode_from_utf8_raw(src, dst, last),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoder::Iso2022Jp(ref mut v) => v.encode_from_utf8_raw(src, dst, last),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoder::ShiftJis(ref mut v) => v.encode_from_utf8_raw(src, dst, last),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoder::EucKr(ref mut v) => v.encode_from_utf8_raw(src, dst, last),
            VariantEncoder::UserDefined(ref mut v) => v.encode_from_utf8_raw(src, dst, last),
        }
    }
}

pub enum VariantEncoding {
    SingleByte(&'static [u16; 128], u16, u8, u8),
    Utf8,
    Gbk,
    Gb18030,
    Big5,
    EucJp,
    Iso2022Jp,
    ShiftJis,
    EucKr,
    Replacement,
    Utf16Be,
    Utf16Le,
    UserDefined,
}

impl VariantEncoding {
    pub fn new_variant_decoder(&self) -> VariantDecoder {
        match *self {
            VariantEncoding::SingleByte(table, _, _, _) => SingleByteDecoder::new(table),
            VariantEncoding::Utf8 => Utf8Decoder::new(),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoding::Gbk | VariantEncoding::Gb18030 => Gb18030Decoder::new(),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoding::Big5 => Big5Decoder::new(),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoding::EucJp => EucJpDecoder::new(),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoding::Iso2022Jp => Iso2022JpDecoder::new(),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoding::ShiftJis => ShiftJisDecoder::new(),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoding::EucKr => EucKrDecoder::new(),
            // vitrine: never reached (vitrine refuses these charsets before lol_html sees them);
            // if it were, the Encoding Standard's replacement decoder is the safe output.
            #[cfg(feature = "no-legacy-cjk")]
            VariantEncoding::Gbk
            | VariantEncoding::Gb18030
            | VariantEncoding::Big5
            | VariantEncoding::EucJp
            | VariantEncoding::Iso2022Jp
            | VariantEncoding::ShiftJis
            | VariantEncoding::EucKr => ReplacementDecoder::new(),
            VariantEncoding::Replacement => ReplacementDecoder::new(),
            VariantEncoding::UserDefined => UserDefinedDecoder::new(),
            VariantEncoding::Utf16Be => Utf16Decoder::new(true),
            VariantEncoding::Utf16Le => Utf16Decoder::new(false),
        }
    }

    pub fn new_encoder(&self, encoding: &'static Encoding) -> Encoder {
        match *self {
            VariantEncoding::SingleByte(table, run_bmp_offset, run_byte_offset, run_length) => {
                SingleByteEncoder::new(encoding, table, run_bmp_offset, run_byte_offset, run_length)
            }
            VariantEncoding::Utf8 => Utf8Encoder::new(encoding),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoding::Gbk => Gb18030Encoder::new(encoding, false),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoding::Gb18030 => Gb18030Encoder::new(encoding, true),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoding::Big5 => Big5Encoder::new(encoding),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoding::EucJp => EucJpEncoder::new(encoding),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoding::Iso2022Jp => Iso2022JpEncoder::new(encoding),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoding::ShiftJis => ShiftJisEncoder::new(encoding),
            #[cfg(not(feature = "no-legacy-cjk"))]
            VariantEncoding::EucKr => EucKrEncoder::new(encoding),
            // vitrine: never reached; if it were, x-user-defined's encoder writes ASCII as is and
            // every other character as an HTML numeric character reference (no table needed).
            #[cfg(feature = "no-legacy-cjk")]
            VariantEncoding::Gbk
            | VariantEncoding::Gb18030
            | VariantEncoding::Big5
            | VariantEncoding::EucJp
            | VariantEncoding::Iso2022Jp
            | VariantEncoding::ShiftJis
            | VariantEncoding::EucKr => UserDefinedEncoder::new(encoding),
            VariantEncoding::UserDefined => UserDefinedEncoder::new(encoding),
            VariantEncoding::Utf16Be | VariantEncoding::Replacement | VariantEncoding::Utf16Le => {
                unreachable!()
            }
        }
    }

    pub fn is_single_byte(&self) -> bool {
        matches!(
            *self,
            VariantEncoding::SingleByte(_, _, _, _) | VariantEncoding::UserDefined
        )
    }
}
