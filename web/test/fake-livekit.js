// A stand-in for livekit-client in browser tests: the page's own code runs unchanged, bundled with
// this module instead of the real client, and the test drives the room through window.fakeLiveKit.

export const ConnectionState = {
  Disconnected: 'disconnected',
  Connecting: 'connecting',
  Connected: 'connected',
  Reconnecting: 'reconnecting',
};

export const DisconnectReason = { CLIENT_INITIATED: 1, PARTICIPANT_REMOVED: 4, ROOM_DELETED: 5 };

export const MediaDeviceFailure = {
  PermissionDenied: 'PermissionDenied',
  NotFound: 'NotFound',
  DeviceInUse: 'DeviceInUse',
  Other: 'Other',
  getFailure(error) {
    if (error && error.name === 'NotAllowedError') return 'PermissionDenied';
    if (error && error.name === 'NotFoundError') return 'NotFound';
    return 'Other';
  },
};

export const RoomEvent = {
  ParticipantConnected: 'participantConnected',
  ParticipantDisconnected: 'participantDisconnected',
  ParticipantNameChanged: 'participantNameChanged',
  TrackSubscribed: 'trackSubscribed',
  TrackUnsubscribed: 'trackUnsubscribed',
  TrackMuted: 'trackMuted',
  TrackUnmuted: 'trackUnmuted',
  ActiveSpeakersChanged: 'activeSpeakersChanged',
  Reconnecting: 'reconnecting',
  Reconnected: 'reconnected',
  AudioPlaybackStatusChanged: 'audioPlaybackChanged',
  Disconnected: 'disconnected',
};

export const Track = {
  Source: { Camera: 'camera', Microphone: 'microphone' },
  Kind: { Audio: 'audio', Video: 'video' },
};

class FakeLocalTrack {
  constructor(kind) {
    this.kind = kind;
    this.source = kind === 'video' ? Track.Source.Camera : Track.Source.Microphone;
    this.isMuted = false;
  }
  async mute() {
    this.isMuted = true;
  }
  async unmute() {
    this.isMuted = false;
  }
  attach(element) {
    return element || document.createElement(this.kind);
  }
  detach() {
    return [];
  }
  stop() {}
}

export async function createLocalTracks(options) {
  const tracks = [];
  if (options.audio) tracks.push(new FakeLocalTrack('audio'));
  if (options.video) tracks.push(new FakeLocalTrack('video'));
  return tracks;
}

class FakeParticipant {
  constructor(identity, name, isAgent = false) {
    this.identity = identity;
    this.name = name;
    this.isAgent = isAgent;
    this.isSpeaking = false;
    this.trackPublications = new Map();
  }
  getTrackPublication(source) {
    return Array.from(this.trackPublications.values()).find((publication) => publication.source === source);
  }
}

/** A text stream reader: async-iterable chunks, readAll(), and `info` like the real one. */
class FakeTextReader {
  constructor(chunks, attributes, topic) {
    this.chunks = chunks;
    this.info = { id: `stream-${Math.random().toString(16).slice(2)}`, topic, attributes };
  }
  async *[Symbol.asyncIterator]() {
    for (const chunk of this.chunks) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      yield chunk;
    }
  }
  async readAll() {
    return this.chunks.join('');
  }
}

export class Room {
  constructor() {
    this.state = ConnectionState.Disconnected;
    this.handlers = {};
    this.textHandlers = {};
    this.remoteParticipants = new Map();
    this.canPlaybackAudio = true;
    this.sentTexts = [];
    this.localParticipant = new FakeParticipant('', '');
    this.localParticipant.publishTrack = async (track) => {
      this.localParticipant.trackPublications.set(`TR_${track.kind}`, { track, source: track.source });
    };
    this.localParticipant.sendText = async (text, options) => {
      this.sentTexts.push({ text, topic: options.topic });
      return { id: 'sent' };
    };
    window.fakeLiveKit.rooms.push(this);
  }

  on(event, handler) {
    (this.handlers[event] ||= []).push(handler);
    return this;
  }

  emit(event, ...args) {
    for (const handler of this.handlers[event] || []) handler(...args);
  }

  registerTextStreamHandler(topic, handler) {
    this.textHandlers[topic] = handler;
  }

  async connect(url, token) {
    this.url = url;
    this.token = token;
    if (window.fakeLiveKit.failConnect) throw new Error('could not establish signal connection');
    this.state = ConnectionState.Connected;
  }

  async disconnect() {
    if (this.state === ConnectionState.Disconnected) return;
    this.state = ConnectionState.Disconnected;
    this.emit(RoomEvent.Disconnected, DisconnectReason.CLIENT_INITIATED);
  }

  async startAudio() {
    this.canPlaybackAudio = true;
    this.emit(RoomEvent.AudioPlaybackStatusChanged);
  }

  // --- what tests call ---------------------------------------------------------------------------

  addParticipant(identity, name, { isAgent = false, micTrackSid = null } = {}) {
    const participant = new FakeParticipant(identity, name, isAgent);
    if (micTrackSid) {
      participant.trackPublications.set(micTrackSid, {
        source: Track.Source.Microphone,
        isMuted: false,
        isSubscribed: true,
        track: null,
      });
    }
    this.remoteParticipants.set(identity, participant);
    this.emit(RoomEvent.ParticipantConnected, participant);
  }

  sendStream(topic, senderIdentity, chunks, attributes = {}) {
    const handler = this.textHandlers[topic];
    if (handler) handler(new FakeTextReader(chunks, attributes, topic), { identity: senderIdentity });
  }

  serverDisconnect(reason) {
    this.state = ConnectionState.Disconnected;
    this.emit(RoomEvent.Disconnected, reason);
  }
}

window.fakeLiveKit = { rooms: [], failConnect: false };
