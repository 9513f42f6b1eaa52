//! Sound with rodio: a synthesised phone ring (no asset needed) and the customer's voice clips.
//! With no audio device the app runs silent after one warning.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use bevy::prelude::*;
use rodio::source::{SineWave, Zero, from_iter};
use rodio::{Decoder, DeviceSinkBuilder, MixerDeviceSink, Player, Source};

pub fn plugin(app: &mut App) {
    if !app.world().contains_resource::<AudioOut>() {
        app.insert_resource(AudioOut::open());
    }
}

/// The output device (kept alive for the app's lifetime) and the sounds playing.
#[derive(Resource)]
pub struct AudioOut {
    sink: Option<MixerDeviceSink>,
    /// The ring and the current voice clip; replacing one drops (stops) the old player
    /// without blocking.
    ring: Mutex<Option<Player>>,
    voice: Mutex<Option<Player>>,
    volume: Mutex<(f32, bool)>,
    /// Why there is no sound, when there is none.
    pub silent_reason: Option<String>,
}

impl AudioOut {
    /// Opens the default device; `PEILIAN_NO_AUDIO` (tests, screenshots) skips it.
    pub fn open() -> Self {
        if std::env::var_os("PEILIAN_NO_AUDIO").is_some() {
            return AudioOut::silent("PEILIAN_NO_AUDIO");
        }
        match DeviceSinkBuilder::open_default_sink() {
            Ok(mut sink) => {
                sink.log_on_drop(false);
                AudioOut { sink: Some(sink), ..AudioOut::silent("") }.with_reason(None)
            }
            Err(e) => {
                warn!("没有可用的音频设备（{e}），静音运行");
                AudioOut::silent(&e.to_string())
            }
        }
    }

    pub fn silent(reason: &str) -> Self {
        AudioOut {
            sink: None,
            ring: Mutex::new(None),
            voice: Mutex::new(None),
            volume: Mutex::new((0.8, false)),
            silent_reason: Some(reason.to_string()),
        }
    }

    fn with_reason(mut self, reason: Option<String>) -> Self {
        self.silent_reason = reason;
        self
    }

    pub fn is_silent(&self) -> bool {
        self.sink.is_none()
    }

    fn effective_volume(&self) -> f32 {
        let (v, muted) = *self.volume.lock().unwrap_or_else(|e| e.into_inner());
        if muted { 0.0 } else { v }
    }

    pub fn set_volume(&self, volume: f32, muted: bool) {
        *self.volume.lock().unwrap_or_else(|e| e.into_inner()) = (volume.clamp(0.0, 1.0), muted);
        let v = self.effective_volume();
        for slot in [&self.ring, &self.voice] {
            if let Some(p) = &*slot.lock().unwrap_or_else(|e| e.into_inner()) {
                p.set_volume(v);
            }
        }
    }

    /// Rings like a phone `rings` times.
    pub fn ring(&self, rings: usize) {
        let Some(sink) = &self.sink else { return };
        let player = Player::connect_new(sink.mixer());
        player.set_volume(self.effective_volume());
        player.append(ring_tone(rings));
        *self.ring.lock().unwrap_or_else(|e| e.into_inner()) = Some(player);
    }

    pub fn stop_ring(&self) {
        self.ring.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    /// Plays a voice clip, replacing the one playing.
    pub fn play_file(&self, path: &Path) -> Result<(), String> {
        let Some(sink) = &self.sink else { return Ok(()) };
        let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let source = Decoder::try_from(file).map_err(|e| format!("{}: {e}", path.display()))?;
        let player = Player::connect_new(sink.mixer());
        player.set_volume(self.effective_volume());
        player.append(source);
        *self.voice.lock().unwrap_or_else(|e| e.into_inner()) = Some(player);
        Ok(())
    }
}

/// A phone ring: 440 + 480 Hz for 2 s, then silence to 6 s, `rings` times.
pub fn ring_tone(rings: usize) -> impl Source + Send + 'static {
    let one = || {
        let tone = SineWave::new(440.0).mix(SineWave::new(480.0)).amplify(0.2).take_duration(Duration::from_secs(2));
        let silence = Zero::new(tone.channels(), tone.sample_rate()).take_duration(Duration::from_secs(6));
        tone.mix(silence)
    };
    from_iter((0..rings).map(move |_| one()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_rings_then_pauses() {
        let samples: Vec<f32> = ring_tone(1).collect();
        let rate = 48_000usize;
        assert!((samples.len() as i64 - 6 * rate as i64).abs() < 100, "{}", samples.len());
        let loud = |range: std::ops::Range<usize>| samples[range].iter().map(|s| s.abs()).fold(0.0, f32::max);
        assert!(loud(0..rate) > 0.1, "the first second rings");
        assert_eq!(loud(3 * rate..5 * rate), 0.0, "seconds three and four are silent");
    }

    #[test]
    fn silent_output_accepts_every_call() {
        let out = AudioOut::silent("test");
        out.ring(2);
        out.set_volume(0.5, true);
        assert!(out.play_file(Path::new("/does/not/exist.ogg")).is_ok(), "silent: nothing is played or opened");
        assert!(out.is_silent());
    }
}
